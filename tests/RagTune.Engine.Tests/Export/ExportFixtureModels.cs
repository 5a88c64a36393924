// The tiny random checkpoints of TestData/gguf-export/<name>/ (config.json committed; weights generated from a SplitMix64
// stream seeded by each tensor's name, exactly as tools/reference/gguf_export_llamacpp.py generates them, so the
// llama.cpp golden data there was computed on these very weights), and the way back from an exported GGUF to a
// Hugging Face checkpoint: dequantise each tensor, undo LLaMA's q/k permutation, rename.
using System.Text.Json;
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Formats;
using Xunit;

namespace RagTune.Engine.Tests.Export;

internal static class ExportFixtureModels
{
    public static readonly string[] Names = ["llama", "qwen2", "qwen3", "internlm2"];

    /// <summary>The Llama-family fixtures and GPT-2 (learned positions, LayerNorm, packed c_attn), which has golden data
    /// from llama.cpp's gpt2 architecture too but neither RoPE nor the Llama-family metadata.</summary>
    public static readonly string[] GoldenNames = [.. Names, "gpt2"];

    public static TheoryData<string> NamesData => new(Names);

    public static TheoryData<string> GoldenNamesData => new(GoldenNames);

    /// <summary>Every fixture with every export type the golden data covers.</summary>
    public static TheoryData<string, string> NamesAndTypes()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in GoldenNames)
            foreach (var type in new[] { "f16", "q8_0", "q4_k_m" })
                data.Add(name, type);
        return data;
    }

    private static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"];

    public static string FixtureDir(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "gguf-export", name);

    public static JsonElement Golden(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureDir(name), "golden.json")));
        return doc.RootElement.Clone();
    }

    /// <summary>Writes checkpoint <paramref name="name"/> into <paramref name="directory"/> and returns the directory.</summary>
    public static string Create(string name, string directory)
    {
        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(FixtureDir(name), "config.json"), Path.Combine(directory, "config.json"), overwrite: true);
        string tokenizer = Path.Combine(AppContext.BaseDirectory, "TestData", "models", "qwen2-tiny");
        foreach (var file in TokenizerFiles)
            File.Copy(Path.Combine(tokenizer, file), Path.Combine(directory, file), overwrite: true);
        var config = ModelConfig.Load(directory);
        var entries = config.ExpectedTensors()
            .Select(spec => SafeTensorEntry.FromFloat32(spec.Name, Values(spec.Name, DTypes.ElementCount(spec.Shape)), spec.Shape));
        SafeTensorWriter.Write(Path.Combine(directory, Checkpoint.SingleFileName), entries, new Dictionary<string, string> { ["format"] = "pt" });
        return directory;
    }

    /// <summary>Uniform values in [-s, s): u = top 24 bits of SplitMix64 · 2⁻²⁴, v = (2u − 1)·s, s = 0.1 for matrices and 0.05
    /// for biases; norms are 1 + 0.1·(2u − 1). Only exact float32 operations, so Python and .NET agree bit for bit.</summary>
    public static float[] Values(string tensorName, long count)
    {
        ulong state = Fnv1a64(tensorName);
        // GPT-2's LayerNorm weights are ln_1/ln_2/ln_f.weight.
        bool norm = tensorName.EndsWith("norm.weight", StringComparison.Ordinal)
            || (tensorName.EndsWith(".weight", StringComparison.Ordinal) && tensorName.Contains(".ln_", StringComparison.Ordinal));
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            float u = (z >> 40) * (1f / (1 << 24));
            float x = u * 2f - 1f;
            values[i] = norm ? 1f + 0.1f * x
                : tensorName.EndsWith(".bias", StringComparison.Ordinal) ? 0.05f * x
                : 0.1f * x;
        }
        return values;
    }

    private static ulong Fnv1a64(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text)) h = (h ^ b) * 0x100000001B3UL;
        return h;
    }

    /// <summary>The raw data of every tensor of a GGUF file, by name.</summary>
    public static Dictionary<string, (GgufTensorInfo Info, byte[] Data)> ReadTensors(string path)
    {
        var gguf = GgufFile.Read(path);
        var result = new Dictionary<string, (GgufTensorInfo, byte[])>(StringComparer.Ordinal);
        using var stream = File.OpenRead(path);
        foreach (var t in gguf.Tensors)
        {
            long count = t.Dimensions.Aggregate(1L, (a, d) => a * (long)d);
            var bytes = new byte[GgmlTypes.ByteCount((GgmlType)t.GgmlType, count)];
            stream.Position = gguf.DataOffset + (long)t.Offset;
            stream.ReadExactly(bytes);
            result[t.Name] = (t, bytes);
        }
        return result;
    }

    /// <summary>Turns an exported GGUF back into a Hugging Face checkpoint in <paramref name="directory"/> (config and
    /// tokenizer files copied from <paramref name="source"/>): every tensor dequantised to float32, renamed, and LLaMA's
    /// q/k rows un-permuted. An InternLM2 export (wqkv split into q/k/v) comes back as the LLaMA it is.</summary>
    public static string ToCheckpoint(string ggufPath, string source, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in TokenizerFiles.Append("config.json"))
            File.Copy(Path.Combine(source, file), Path.Combine(directory, file), overwrite: true);
        var config = (DecoderConfig)ModelConfig.Load(source);
        if (config is InternLM2Config)
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
            json["architectures"] = new System.Text.Json.Nodes.JsonArray("LlamaForCausalLM");
            json["model_type"] = "llama";
            json.Remove("bias");
            File.WriteAllText(Path.Combine(directory, "config.json"), json.ToJsonString());
        }
        bool llama = config is LlamaConfig or InternLM2Config, gpt2 = config is Gpt2Config;
        var entries = new List<SafeTensorEntry>();
        foreach (var (name, (info, data)) in ReadTensors(ggufPath))
        {
            if (name == "rope_freqs.weight") continue;
            long count = info.Dimensions.Aggregate(1L, (a, d) => a * (long)d);
            var values = new float[count];
            GgmlQuants.Dequantize((GgmlType)info.GgmlType, data, values);
            int rowLength = (int)info.Dimensions[0];
            if (llama && (name.Contains(".attn_q.", StringComparison.Ordinal) || name.Contains(".attn_k.", StringComparison.Ordinal)))
                values = Unpermute(values, name.Contains(".attn_q.", StringComparison.Ordinal) ? config.NumAttentionHeads : config.NumKeyValueHeads,
                    info.Dimensions.Length == 1 ? 1 : rowLength);
            long[] shape = info.Dimensions.Length == 1 ? [(long)info.Dimensions[0]] : [(long)info.Dimensions[1], (long)info.Dimensions[0]];
            if (gpt2 && shape.Length == 2 && name.StartsWith("blk.", StringComparison.Ordinal))
            {
                // GPT-2's Conv1D weights go back to [in, out]: the GGUF holds them [out, in] (conversion/gpt2.py transposes).
                values = RowMajor.Transpose(values, (int)shape[0], (int)shape[1]);
                shape = [shape[1], shape[0]];
            }
            entries.Add(SafeTensorEntry.FromFloat32(gpt2 ? Gpt2HfName(name) : HfName(name), values, shape));
        }
        SafeTensorWriter.Write(Path.Combine(directory, Checkpoint.SingleFileName), entries, new Dictionary<string, string> { ["format"] = "pt" });
        return directory;
    }

    /// <summary>llama.cpp's gpt2 tensor names back to modeling_gpt2.py's.</summary>
    public static string Gpt2HfName(string gguf)
    {
        switch (gguf)
        {
            case "token_embd.weight": return "transformer.wte.weight";
            case "position_embd.weight": return "transformer.wpe.weight";
            case "output_norm.weight": return "transformer.ln_f.weight";
            case "output_norm.bias": return "transformer.ln_f.bias";
            case "output.weight": return "lm_head.weight";
        }
        var parts = gguf.Split('.');
        if (parts.Length != 4 || parts[0] != "blk") throw new ArgumentException($"unexpected GGUF tensor '{gguf}'");
        string module = parts[2] switch
        {
            "attn_norm" => "ln_1",
            "attn_qkv" => "attn.c_attn",
            "attn_output" => "attn.c_proj",
            "ffn_norm" => "ln_2",
            "ffn_up" => "mlp.c_fc",
            "ffn_down" => "mlp.c_proj",
            _ => throw new ArgumentException($"unexpected GGUF tensor '{gguf}'"),
        };
        return $"transformer.h.{parts[1]}.{module}.{parts[3]}";
    }

    private static float[] Unpermute(float[] values, int heads, int rowLength)
    {
        int rows = values.Length / rowLength, headRows = rows / heads, half = headRows / 2;
        var result = new float[values.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int t = 0; t < 2; t++)
                    values.AsSpan((h * headRows + 2 * i + t) * rowLength, rowLength)
                        .CopyTo(result.AsSpan((h * headRows + t * half + i) * rowLength, rowLength));
        return result;
    }

    public static string HfName(string gguf)
    {
        switch (gguf)
        {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
        }
        var parts = gguf.Split('.');
        if (parts.Length != 4 || parts[0] != "blk") throw new ArgumentException($"unexpected GGUF tensor '{gguf}'");
        string module = parts[2] switch
        {
            "attn_norm" => "input_layernorm",
            "attn_q" => "self_attn.q_proj",
            "attn_k" => "self_attn.k_proj",
            "attn_v" => "self_attn.v_proj",
            "attn_output" => "self_attn.o_proj",
            "attn_q_norm" => "self_attn.q_norm",
            "attn_k_norm" => "self_attn.k_norm",
            "ffn_norm" => "post_attention_layernorm",
            "ffn_gate" => "mlp.gate_proj",
            "ffn_up" => "mlp.up_proj",
            "ffn_down" => "mlp.down_proj",
            _ => throw new ArgumentException($"unexpected GGUF tensor '{gguf}'"),
        };
        return $"model.layers.{parts[1]}.{module}.{parts[3]}";
    }
}
