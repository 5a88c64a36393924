// Writes an untrained student checkpoint for a synthetic world: the corpus tokenizer, a Qwen2 config.json sized by
// StudentModelOptions, and weights drawn as transformers initialises them (N(0, 0.02), norms 1) — the "base" model.
using System.Globalization;
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Eval;

namespace RagTune.Pipeline.Synthetic;

public static class StudentModel
{
    public const double InitializerRange = 0.02;

    /// <summary>Creates the checkpoint folder (tokenizer.json, tokenizer_config.json, config.json, model.safetensors).</summary>
    public static void CreateBase(string directory, IEnumerable<string> corpus, StudentModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HiddenSize % options.Heads != 0 || options.Heads % options.KeyValueHeads != 0)
            throw new EvalException($"student model: hidden size {options.HiddenSize}, {options.Heads} heads, {options.KeyValueHeads} key/value heads; "
                + "expected heads to divide the hidden size and key/value heads to divide heads");
        int vocab = WordTokenizerBuilder.Write(directory, corpus);
        int imEnd = vocab - 1, endOfText = vocab - 3;
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
            ["model_type"] = "qwen2",
            ["hidden_act"] = "silu",
            ["initializer_range"] = InitializerRange,
            ["max_position_embeddings"] = options.MaxPositions,
            ["rms_norm_eps"] = 1e-6,
            ["rope_theta"] = 10000.0,
            ["vocab_size"] = vocab,
            ["bos_token_id"] = endOfText,
            ["eos_token_id"] = imEnd,
            ["hidden_size"] = options.HiddenSize,
            ["num_hidden_layers"] = options.Layers,
            ["num_attention_heads"] = options.Heads,
            ["num_key_value_heads"] = options.KeyValueHeads,
            ["intermediate_size"] = options.IntermediateSize,
            ["tie_word_embeddings"] = true,
            ["use_sliding_window"] = false,
            ["head_dim"] = options.HiddenSize / options.Heads,
            ["torch_dtype"] = "float32",
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        var spec = (DecoderConfig)ModelConfig.Load(directory);
        var rng = new SyntheticRandom(options.Seed);
        var entries = new List<SafeTensorEntry>();
        foreach (var t in spec.ExpectedTensors())
        {
            long n = 1;
            foreach (var d in t.Shape) n *= d;
            var values = new float[n];
            if (t.Name.EndsWith("norm.weight", StringComparison.Ordinal))
                Array.Fill(values, 1f);
            else if (!t.Name.EndsWith(".bias", StringComparison.Ordinal))
                for (long i = 0; i < n; i++)
                {
                    // Box–Muller from two uniforms, the first in (0, 1].
                    double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                    values[i] = (float)(InitializerRange * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                }
            entries.Add(SafeTensorEntry.FromFloat32(t.Name, values, t.Shape));
        }
        SafeTensorWriter.Write(Path.Combine(directory, "model.safetensors"), entries, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(directory, "generation_config.json"),
            $"{{\n  \"eos_token_id\": {imEnd.ToString(CultureInfo.InvariantCulture)},\n  \"do_sample\": false\n}}\n");
    }
}
