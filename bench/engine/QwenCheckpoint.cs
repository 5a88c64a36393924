// Writes a random-weight checkpoint of the Qwen2.5-0.5B shape in the Hugging Face layout (config.json +
// model.safetensors, Qwen2ForCausalLM tensor names, tied embeddings), as float32 or bfloat16.
using System.Runtime.InteropServices;
using System.Text.Json;
using RagTune.Engine.Tensors;

namespace RagTune.Bench.Engine;

internal static class QwenCheckpoint
{
    public const int Hidden = 896, Layers = 24, Heads = 14, KvHeads = 2, HeadDim = 64, Intermediate = 4864, Vocab = 151936;

    /// <summary>Creates the checkpoint in <paramref name="directory"/> unless a complete one is already there.</summary>
    public static void Ensure(string directory, DType dtype, int layers = Layers)
    {
        if (File.Exists(Path.Combine(directory, "model.safetensors")) && File.Exists(Path.Combine(directory, "config.json"))) return;
        Directory.CreateDirectory(directory);
        Console.WriteLine($"writing random {DTypes.Name(dtype)} checkpoint ({layers} layers) to {directory}");
        var rng = new Random(1234);
        var entries = new List<SafeTensorEntry>();
        void Add(string name, float scale, float offset, params long[] shape)
        {
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < data.Length; i++) data[i] = offset + scale * (rng.NextSingle() * 2 - 1);
            entries.Add(dtype == DType.BF16 && shape.Length > 1
                ? SafeTensorEntry.FromFloat32AsBF16(name, data, shape)
                : new SafeTensorEntry(name, DType.F32, shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray()));
        }
        const float w = 0.035f;  // uniform ±w: std 0.02 as Hugging Face initialises
        Add("model.embed_tokens.weight", w, 0, Vocab, Hidden);
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", 0.1f, 1, Hidden);
            Add(p + "post_attention_layernorm.weight", 0.1f, 1, Hidden);
            Add(p + "self_attn.q_proj.weight", w, 0, Heads * HeadDim, Hidden);
            Add(p + "self_attn.q_proj.bias", w, 0, Heads * HeadDim);
            Add(p + "self_attn.k_proj.weight", w, 0, KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.k_proj.bias", w, 0, KvHeads * HeadDim);
            Add(p + "self_attn.v_proj.weight", w, 0, KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.v_proj.bias", w, 0, KvHeads * HeadDim);
            Add(p + "self_attn.o_proj.weight", w, 0, Hidden, Heads * HeadDim);
            Add(p + "mlp.gate_proj.weight", w, 0, Intermediate, Hidden);
            Add(p + "mlp.up_proj.weight", w, 0, Intermediate, Hidden);
            Add(p + "mlp.down_proj.weight", w, 0, Hidden, Intermediate);
        }
        Add("model.norm.weight", 0.1f, 1, Hidden);
        SafeTensorWriter.Write(Path.Combine(directory, "model.safetensors"), entries);
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "Qwen2ForCausalLM" }, ["model_type"] = "qwen2", ["hidden_act"] = "silu",
            ["hidden_size"] = Hidden, ["intermediate_size"] = Intermediate, ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = Heads, ["num_key_value_heads"] = KvHeads, ["max_position_embeddings"] = 32768,
            ["rms_norm_eps"] = 1e-6, ["rope_theta"] = 1000000.0, ["vocab_size"] = Vocab, ["tie_word_embeddings"] = true,
            ["bos_token_id"] = 151643, ["eos_token_id"] = 151643, ["use_sliding_window"] = false, ["sliding_window"] = null,
            ["max_window_layers"] = layers, ["torch_dtype"] = dtype == DType.BF16 ? "bfloat16" : "float32",
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
    }
}
