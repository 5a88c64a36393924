// A PEFT prompt-tuning adapter (peft_type PROMPT_TUNING): num_virtual_tokens trained embeddings [N, C] put before every
// sequence's token embeddings, at positions 0..N−1 (the sequence's tokens follow at N..), as PEFT's PeftModelForCausalLM
// does (inputs_embeds = cat(prompts, embed_tokens(ids)); at generation the virtual tokens fill the KV cache first). On
// disk as PEFT's save_pretrained writes it: adapter_config.json + adapter_model.safetensors with the one tensor
// prompt_embeddings [N, C] (get_peft_model_state_dict). Initialised as PEFT does: RANDOM is nn.Embedding's N(0, 1);
// TEXT embeds the init text's token ids, cut or repeated to N.
using System.Text.Json;
using RagTune.Engine.IO;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

public sealed class PromptTuning
{
    public const string PeftType = "PROMPT_TUNING";
    public const string ConfigFileName = Training.PeftAdapter.ConfigFileName;
    public const string WeightsFileName = Training.PeftAdapter.WeightsFileName;
    public const string TensorName = "prompt_embeddings";

    public int NumVirtualTokens { get; }
    public int TokenDim { get; }

    /// <summary>[NumVirtualTokens, TokenDim]: what training updates and the forward puts before the tokens.</summary>
    public float[] Embeddings { get; }

    /// <summary>prompt_tuning_init_text when initialised from text, else null (RANDOM).</summary>
    public string? InitText { get; }

    public PromptTuning(float[] embeddings, int numVirtualTokens, int tokenDim, string? initText = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (numVirtualTokens <= 0 || tokenDim <= 0 || embeddings.LongLength != (long)numVirtualTokens * tokenDim)
            throw new ArgumentException($"prompt embeddings: {embeddings.LongLength} values, expected {numVirtualTokens}x{tokenDim} (both positive)");
        (Embeddings, NumVirtualTokens, TokenDim, InitText) = (embeddings, numVirtualTokens, tokenDim, initText);
    }

    /// <summary>PromptTuningInit.RANDOM: nn.Embedding's default initialisation, every value drawn from N(0, 1).</summary>
    public static PromptTuning CreateRandom(int numVirtualTokens, int tokenDim, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var values = new float[(long)numVirtualTokens * tokenDim];
        for (int i = 0; i < values.Length; i++)
        {
            // Box–Muller on two uniforms in (0, 1].
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return new PromptTuning(values, numVirtualTokens, tokenDim);
    }

    /// <summary>PromptTuningInit.TEXT: the embeddings of <paramref name="textIds"/> (the init text tokenised as PEFT's
    /// tokenizer(init_text)["input_ids"] does), cut to N or repeated until N.</summary>
    public static PromptTuning CreateFromText(int numVirtualTokens, IReadOnlyList<int> textIds, WeightMatrix embedTokens, string text)
    {
        ArgumentNullException.ThrowIfNull(textIds);
        ArgumentNullException.ThrowIfNull(embedTokens);
        if (textIds.Count == 0) throw new EngineException($"prompt_tuning_init_text \"{text}\" tokenises to nothing; give a text with at least one token");
        int c = embedTokens.Cols;
        var values = new float[(long)numVirtualTokens * c];
        for (int i = 0; i < numVirtualTokens; i++)
            embedTokens.ReadRow(textIds[i % textIds.Count], values.AsSpan(i * c, c));
        return new PromptTuning(values, numVirtualTokens, c, text);
    }

    /// <summary>Writes adapter_config.json and adapter_model.safetensors into <paramref name="directory"/>.</summary>
    public void Save(string directory, string baseModel, int numAttentionHeads, int numLayers)
    {
        Directory.CreateDirectory(directory);
        SafeTensorWriter.Write(Path.Combine(directory, WeightsFileName),
            [SafeTensorEntry.FromFloat32(TensorName, Embeddings, NumVirtualTokens, TokenDim)], new Dictionary<string, string> { ["format"] = "pt" });
        var config = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModel,
            ["inference_mode"] = true,
            ["modules_to_save"] = null,
            ["num_attention_heads"] = numAttentionHeads,
            ["num_layers"] = numLayers,
            ["num_transformer_submodules"] = 1,
            ["num_virtual_tokens"] = NumVirtualTokens,
            ["peft_type"] = PeftType,
            ["prompt_tuning_init"] = InitText is null ? "RANDOM" : "TEXT",
            ["prompt_tuning_init_text"] = InitText,
            ["revision"] = null,
            ["task_type"] = "CAUSAL_LM",
            ["token_dim"] = TokenDim,
            ["tokenizer_kwargs"] = null,
            ["tokenizer_name_or_path"] = InitText is null ? null : baseModel,
        };
        AtomicFile.WriteText(Path.Combine(directory, ConfigFileName),
            JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Whether <paramref name="directory"/> holds a PEFT adapter whose peft_type is PROMPT_TUNING.</summary>
    public static bool IsPromptTuning(string directory)
    {
        string path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path)) return false;
        using var doc = JsonFields.ParseFile(path);
        return new JsonFields(doc.RootElement, path).String("peft_type") == PeftType;
    }

    /// <summary>Loads a prompt-tuning adapter for a model of hidden size <paramref name="tokenDim"/>. An adapter for
    /// another model, or one PEFT would not load as a decoder's prompt, is one error naming the file and the field.</summary>
    public static PromptTuning Load(string directory, int tokenDim)
    {
        string path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path)) throw new EngineException($"{directory}: {ConfigFileName} is missing (expected a PEFT prompt-tuning adapter folder)");
        using var doc = JsonFields.ParseFile(path);
        var f = new JsonFields(doc.RootElement, path);
        string type = f.String("peft_type") ?? "";
        if (type != PeftType) throw f.Invalid("peft_type", $"\"{type}\"", $"\"{PeftType}\"");
        int n = f.Int("num_virtual_tokens");
        if (n <= 0) throw f.Invalid("num_virtual_tokens", n, "a positive number of virtual tokens");
        int dim = f.Int("token_dim");
        if (dim != tokenDim) throw f.Invalid("token_dim", dim, $"{tokenDim}, the hidden size of the model it is used with (this adapter was trained for another model)");
        int submodules = f.Int("num_transformer_submodules", 1);
        if (submodules != 1) throw f.Invalid("num_transformer_submodules", submodules, "1 (a decoder-only model)");
        string weights = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(weights)) throw new EngineException($"{directory}: {WeightsFileName} is missing");
        using var file = SafeTensorFile.Open(weights);
        var info = file.Tensors.FirstOrDefault(t => t.Name == TensorName)
            ?? throw new EngineException($"{weights}: tensor '{TensorName}' is missing (found: {string.Join(", ", file.Tensors.Select(t => t.Name))})");
        if (!info.Shape.AsSpan().SequenceEqual([(long)n, dim]))
            throw new EngineException($"{weights}: tensor '{TensorName}' has shape [{string.Join(", ", info.Shape)}], expected [{n}, {dim}] (num_virtual_tokens, token_dim of {ConfigFileName})");
        string? text = f.String("prompt_tuning_init") == "TEXT" ? f.String("prompt_tuning_init_text") : null;
        return new PromptTuning(file.ReadFloat32(TensorName), n, dim, text);
    }
}
