// Writes a random-weight checkpoint of the Qwen2.5-0.5B shape (or Qwen3-0.6B's: q/k norms, no q/k/v bias, head_dim 128)
// in the Hugging Face layout (config.json + model.safetensors, Qwen2/Qwen3ForCausalLM tensor names, tied embeddings), as
// float32 or bfloat16.
using System.Runtime.InteropServices;
using System.Text.Json;
using RagTune.Engine.Tensors;

namespace RagTune.Bench.Engine;

internal static class QwenCheckpoint
{
    public const int Hidden = 896, Layers = 24, Heads = 14, KvHeads = 2, HeadDim = 64, Intermediate = 4864, Vocab = 151936;

    /// <summary>The dimensions of a checkpoint; Qwen3 adds q/k norms and drops the q/k/v biases.</summary>
    public sealed record Shape(string Name, bool Qwen3, int Hidden, int Layers, int Heads, int KvHeads, int HeadDim, int Intermediate);

    public static readonly Shape Qwen25_05B = new("qwen2.5-0.5b", false, Hidden, Layers, Heads, KvHeads, HeadDim, Intermediate);
    public static readonly Shape Qwen3_06B = new("qwen3-0.6b", true, 1024, 28, 16, 8, 128, 3072);

    /// <summary>Creates the checkpoint in <paramref name="directory"/> unless a complete one is already there.</summary>
    public static void Ensure(string directory, DType dtype, int layers = Layers) => Ensure(directory, dtype, Qwen25_05B with { Layers = layers });

    public static void Ensure(string directory, DType dtype, Shape shape)
    {
        var (hidden, layers, heads, kvHeads, headDim, intermediate) = (shape.Hidden, shape.Layers, shape.Heads, shape.KvHeads, shape.HeadDim, shape.Intermediate);
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
        Add("model.embed_tokens.weight", w, 0, Vocab, hidden);
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", 0.1f, 1, hidden);
            Add(p + "post_attention_layernorm.weight", 0.1f, 1, hidden);
            Add(p + "self_attn.q_proj.weight", w, 0, heads * headDim, hidden);
            Add(p + "self_attn.k_proj.weight", w, 0, kvHeads * headDim, hidden);
            Add(p + "self_attn.v_proj.weight", w, 0, kvHeads * headDim, hidden);
            if (shape.Qwen3)
            {
                Add(p + "self_attn.q_norm.weight", 0.1f, 1, headDim);
                Add(p + "self_attn.k_norm.weight", 0.1f, 1, headDim);
            }
            else
            {
                Add(p + "self_attn.q_proj.bias", w, 0, heads * headDim);
                Add(p + "self_attn.k_proj.bias", w, 0, kvHeads * headDim);
                Add(p + "self_attn.v_proj.bias", w, 0, kvHeads * headDim);
            }
            Add(p + "self_attn.o_proj.weight", w, 0, hidden, heads * headDim);
            Add(p + "mlp.gate_proj.weight", w, 0, intermediate, hidden);
            Add(p + "mlp.up_proj.weight", w, 0, intermediate, hidden);
            Add(p + "mlp.down_proj.weight", w, 0, hidden, intermediate);
        }
        Add("model.norm.weight", 0.1f, 1, hidden);
        SafeTensorWriter.Write(Path.Combine(directory, "model.safetensors"), entries);
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { shape.Qwen3 ? "Qwen3ForCausalLM" : "Qwen2ForCausalLM" }, ["model_type"] = shape.Qwen3 ? "qwen3" : "qwen2",
            ["hidden_act"] = "silu", ["hidden_size"] = hidden, ["intermediate_size"] = intermediate, ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = heads, ["num_key_value_heads"] = kvHeads, ["head_dim"] = headDim, ["max_position_embeddings"] = 32768,
            ["rms_norm_eps"] = 1e-6, ["rope_theta"] = 1000000.0, ["vocab_size"] = Vocab, ["tie_word_embeddings"] = true,
            ["bos_token_id"] = 151643, ["eos_token_id"] = 151643, ["use_sliding_window"] = false, ["sliding_window"] = null,
            ["max_window_layers"] = layers, ["torch_dtype"] = dtype == DType.BF16 ? "bfloat16" : "float32",
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
    }
}
