// Hugging Face decoder checkpoint (+ optional PEFT LoRA adapter, merged) → GGUF v3 that llama.cpp and Ollama load: the
// tensors renamed to llama.cpp's names, LLaMA's and InternLM2's q/k rows permuted as convert_hf_to_gguf.py does
// (llama.cpp's "llama" and "internlm2" archs rotate adjacent pairs where transformers rotates halves; qwen2/qwen3 use
// NeoX RoPE, like transformers, and are not permuted; InternLM2's packed wqkv is split into attn_q/attn_k/attn_v as
// conversion/internlm.py does; GPT-2's Conv1D weights, held [out, in] since load, are written as conversion/gpt2.py
// writes them after its transpose, with c_attn whole as attn_qkv and wpe as position_embd), the hyper-parameters and
// vocabulary as metadata, and each matrix encoded as the export type asks.
// Written to a temporary file and renamed, so a failure leaves no half-written .gguf.
using RagTune.Engine.Formats;
using RagTune.Engine.IO;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Training;

namespace RagTune.Engine.Export;

public static class GgufExporter
{
    /// <summary>GGML_QUANT_VERSION, which llama.cpp writes into every file it makes.</summary>
    private const uint QuantizationVersion = 2;

    /// <summary>One tensor to export: GGUF name, [rows, rowLength] (rows = 1 for a vector written 1-D), its float32
    /// values in GGUF row order, and its role for the Q4_K_M mixture.</summary>
    private sealed record ExportTensor(string Name, long Rows, long RowLength, bool Vector, Func<float[]> Values, GgufTensorRole Role, int Layer);

    /// <summary>llama.cpp's architecture name for a config, or an error naming config.json.</summary>
    public static string ArchitectureName(DecoderConfig config) => config switch
    {
        Qwen2Config => "qwen2",
        Qwen3Config => "qwen3",
        LlamaConfig => "llama",
        InternLM2Config => "internlm2",
        Gpt2Config => "gpt2",
        _ => throw new EngineException($"{config.Path}: architecture {config.Architecture} has no GGUF export (supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, InternLM2ForCausalLM, GPT2LMHeadModel)"),
    };

    /// <summary>Writes the GGUF (and the Ollama Modelfile beside it) and returns what was written.</summary>
    public static async Task<GgufExportResult> ExportAsync(GgufExportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string directory = options.ModelDirectory;
        var config = ModelConfig.Load(directory) as DecoderConfig
            ?? throw new EngineException($"{Path.Combine(directory, ModelConfig.FileName)}: {ModelConfig.Load(directory).Architecture} is an encoder; GGUF export writes causal decoders (LLaMA, Qwen2, Qwen3, InternLM2, GPT-2)");
        string arch = ArchitectureName(config);
        if (config is InternLM2Config { Bias: true })
            throw new EngineException($"{config.Path}: field \"bias\" is true (biases on wqkv and wo), which llama.cpp's internlm2 architecture does not load; expected false, as the published InternLM2 checkpoints have");
        if (config.RopeScaling is { Type: "dynamic" })
            throw new EngineException($"{config.Path}: field \"rope_scaling\" is dynamic NTK, which GGUF metadata cannot express (llama.cpp has no dynamic RoPE type); export a model without it");
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        string output = Path.GetFullPath(options.OutputPath
            ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(directory))!, $"{name}-{options.Type.Name()}.gguf"));
        var warnings = new List<string>();

        using var model = DecoderModel.Load(directory, WeightFormat.F32);
        int merged = 0;
        if (options.AdapterDirectory is { } adapter)
        {
            var linears = ParameterSet.DecoderLinears(model).ToList();
            merged = PeftAdapter.Load(adapter, linears).MergeInto(linears);
        }

        var writer = new GgufWriter();
        AddModelMetadata(writer, config, arch, name, options.Type);
        GgufVocabulary.AddTo(writer, directory, config.VocabSize, arch);

        var counts = new SortedDictionary<GgmlType, int>();
        var tensors = Tensors(model, arch);
        foreach (var t in tensors)
        {
            var type = t.Vector
                ? GgmlType.F32
                : GgufTensorTypes.Choose(options.Type, t.Name, 2, t.RowLength, t.Role, t.Layer, config.NumHiddenLayers, config.TieWordEmbeddings);
            counts[type] = counts.GetValueOrDefault(type) + 1;
            ulong[] dims = t.Vector ? [(ulong)t.RowLength] : [(ulong)t.RowLength, (ulong)t.Rows];
            writer.AddTensor(t.Name, dims, type, () => GgmlQuantizer.Quantize(type, t.Values(), (int)t.RowLength));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await AtomicFile.WriteAsync(output, writer.WriteAsync, cancellationToken).ConfigureAwait(false);

        string? modelfile = null;
        if (options.WriteModelfile)
        {
            var text = OllamaModelfile.Build(directory, Path.GetFileName(output), config, warnings);
            modelfile = Path.ChangeExtension(output, ".Modelfile");
            await AtomicFile.WriteTextAsync(modelfile, text, cancellationToken).ConfigureAwait(false);
        }
        return new GgufExportResult(output, modelfile, counts, merged, warnings);
    }

    /// <summary>general.* and the &lt;arch&gt;.* hyper-parameters, as convert_hf_to_gguf.py writes them for these models.</summary>
    private static void AddModelMetadata(GgufWriter w, DecoderConfig c, string arch, string name, GgufExportType type)
    {
        w.Add("general.architecture", arch);
        w.Add("general.type", "model");
        w.Add("general.name", name);
        w.Add("general.file_type", type.FileType());
        w.Add("general.quantization_version", QuantizationVersion);
        w.Add($"{arch}.block_count", (uint)c.NumHiddenLayers);
        w.Add($"{arch}.context_length", (uint)c.MaxPositionEmbeddings);
        w.Add($"{arch}.embedding_length", (uint)c.HiddenSize);
        w.Add($"{arch}.feed_forward_length", (uint)c.IntermediateSize);
        w.Add($"{arch}.attention.head_count", (uint)c.NumAttentionHeads);
        if (arch == "gpt2")
        {
            // conversion/gpt2.py: no RoPE, no grouped heads, LayerNorm's epsilon under its own key.
            w.Add($"{arch}.attention.layer_norm_epsilon", (float)c.RmsNormEps);
            return;
        }
        w.Add($"{arch}.attention.head_count_kv", (uint)c.NumKeyValueHeads);
        w.Add($"{arch}.rope.freq_base", (float)c.RopeTheta);
        w.Add($"{arch}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);
        w.Add($"{arch}.attention.key_length", (uint)c.HeadDim);
        w.Add($"{arch}.attention.value_length", (uint)c.HeadDim);
        if (arch == "llama")
        {
            w.Add($"{arch}.vocab_size", (uint)c.VocabSize);
            w.Add($"{arch}.rope.dimension_count", (uint)c.HeadDim);
        }
        if (c.RopeScaling is { Type: "linear" } linear)
        {
            w.Add($"{arch}.rope.scaling.type", "linear");
            w.Add($"{arch}.rope.scaling.factor", (float)linear.Factor);
        }
    }

    /// <summary>The model's tensors under llama.cpp's names (llama-arch.cpp's LLM_TENSOR_NAMES), in file order.</summary>
    private static List<ExportTensor> Tensors(DecoderModel model, string arch)
    {
        if (arch == "gpt2") return Gpt2Tensors(model);
        var c = model.Config;
        bool permute = arch is "llama" or "internlm2";
        var list = new List<ExportTensor>
        {
            Matrix("token_embd.weight", model.EmbedTokens, GgufTensorRole.TokenEmbedding, -1),
        };
        for (int l = 0; l < model.Layers.Count; l++)
        {
            var layer = model.Layers[l];
            string p = $"blk.{l}.";
            list.Add(Vector(p + "attn_norm.weight", layer.InputLayerNorm));
            if (layer.QkvProj is { } qkv)
            {
                var (q, k, v) = SplitQkv(qkv.Weight.ToFloat32(), c.QkvLayout!, c.HiddenSize, c.NumAttentionHeads * c.HeadDim, c.NumKeyValueHeads * c.HeadDim);
                list.Add(new ExportTensor(p + "attn_q.weight", c.NumAttentionHeads * c.HeadDim, c.HiddenSize, false,
                    () => PermuteRows(q, c.NumAttentionHeads, c.HiddenSize), GgufTensorRole.Other, l));
                list.Add(new ExportTensor(p + "attn_k.weight", c.NumKeyValueHeads * c.HeadDim, c.HiddenSize, false,
                    () => PermuteRows(k, c.NumKeyValueHeads, c.HiddenSize), GgufTensorRole.Other, l));
                list.Add(new ExportTensor(p + "attn_v.weight", c.NumKeyValueHeads * c.HeadDim, c.HiddenSize, false, () => v, GgufTensorRole.AttentionV, l));
            }
            else
            {
                AddLinear(list, p + "attn_q", layer.QProj!, GgufTensorRole.Other, l, permute ? c.NumAttentionHeads : 0);
                AddLinear(list, p + "attn_k", layer.KProj!, GgufTensorRole.Other, l, permute ? c.NumKeyValueHeads : 0);
                AddLinear(list, p + "attn_v", layer.VProj!, GgufTensorRole.AttentionV, l, 0);
            }
            AddLinear(list, p + "attn_output", layer.OProj, GgufTensorRole.Other, l, 0);
            if (layer.QNorm is { } qn) list.Add(Vector(p + "attn_q_norm.weight", qn));
            if (layer.KNorm is { } kn) list.Add(Vector(p + "attn_k_norm.weight", kn));
            list.Add(Vector(p + "ffn_norm.weight", layer.PostAttentionLayerNorm));
            AddLinear(list, p + "ffn_gate", layer.GateProj!, GgufTensorRole.Other, l, 0);
            AddLinear(list, p + "ffn_up", layer.UpProj, GgufTensorRole.Other, l, 0);
            AddLinear(list, p + "ffn_down", layer.DownProj, GgufTensorRole.FfnDown, l, 0);
        }
        list.Add(Vector("output_norm.weight", model.Norm));
        if (!c.TieWordEmbeddings)
            list.Add(Matrix("output.weight", model.LmHead.Weight, GgufTensorRole.Output, -1));
        if (c.RopeScaling is { Type: "llama3" } scaling)
            list.Add(Vector("rope_freqs.weight", Llama3RopeFactors(c.HeadDim, c.RopeTheta, scaling)));
        return list;
    }

    /// <summary>GPT-2's tensors under llama.cpp's gpt2 names (llama_model_gpt2::load_arch_tensors): the LayerNorms with
    /// their biases, c_attn whole as attn_qkv ([q | k | v] is the layout llama.cpp splits), and wpe as position_embd. The
    /// Conv1D weights were transposed to [out, in] at load, which is what conversion/gpt2.py writes after its transpose.</summary>
    private static List<ExportTensor> Gpt2Tensors(DecoderModel model)
    {
        var list = new List<ExportTensor>
        {
            Matrix("token_embd.weight", model.EmbedTokens, GgufTensorRole.TokenEmbedding, -1),
            Matrix("position_embd.weight", model.PositionEmbeddings!, GgufTensorRole.Other, -1),
        };
        for (int l = 0; l < model.Layers.Count; l++)
        {
            var layer = model.Layers[l];
            string p = $"blk.{l}.";
            list.Add(Vector(p + "attn_norm.weight", layer.InputLayerNorm));
            list.Add(Vector(p + "attn_norm.bias", layer.InputNormBias!));
            // llama-quant.cpp counts attn_qkv with attn_v (category_is_attn_v) for the Q4_K_M mixture.
            AddLinear(list, p + "attn_qkv", layer.QkvProj!, GgufTensorRole.AttentionV, l, 0);
            AddLinear(list, p + "attn_output", layer.OProj, GgufTensorRole.Other, l, 0);
            list.Add(Vector(p + "ffn_norm.weight", layer.PostAttentionLayerNorm));
            list.Add(Vector(p + "ffn_norm.bias", layer.PostNormBias!));
            AddLinear(list, p + "ffn_up", layer.UpProj, GgufTensorRole.Other, l, 0);
            AddLinear(list, p + "ffn_down", layer.DownProj, GgufTensorRole.FfnDown, l, 0);
        }
        list.Add(Vector("output_norm.weight", model.Norm));
        list.Add(Vector("output_norm.bias", model.NormBias!));
        if (!model.Config.TieWordEmbeddings)
            list.Add(Matrix("output.weight", model.LmHead.Weight, GgufTensorRole.Output, -1));
        return list;
    }

    private static void AddLinear(List<ExportTensor> list, string name, Linear linear, GgufTensorRole role, int layer, int permuteHeads)
    {
        var weight = linear.Weight;
        list.Add(new ExportTensor(name + ".weight", weight.Rows, weight.Cols, false,
            () => permuteHeads > 0 ? PermuteRows(weight.ToFloat32(), permuteHeads, weight.Cols) : weight.ToFloat32(), role, layer));
        if (linear.Bias is { } bias)
            list.Add(new ExportTensor(name + ".bias", 1, bias.Length, true,
                () => permuteHeads > 0 ? PermuteRows(bias, permuteHeads, 1) : bias, GgufTensorRole.Other, layer));
    }

    /// <summary>A packed qkv weight [Width, C] split into q [H·D, C], k and v [KV·D, C] by the layout's columns (the packed
    /// projection's output columns are the weight's rows).</summary>
    private static (float[] Q, float[] K, float[] V) SplitQkv(float[] packed, PackedQkv layout, int cols, int qRows, int kvRows)
    {
        // layout.Unpack splits the columns of [T, Width] rows, so it runs over the transposed weight [C, Width].
        var transposed = RowMajor.Transpose(packed, layout.Width, cols);
        float[] qT = new float[cols * qRows], kT = new float[cols * kvRows], vT = new float[cols * kvRows];
        layout.Unpack(transposed, qT, kT, vT, cols);
        return (RowMajor.Transpose(qT, cols, qRows), RowMajor.Transpose(kT, cols, kvRows), RowMajor.Transpose(vT, cols, kvRows));
    }

    private static ExportTensor Matrix(string name, WeightMatrix weight, GgufTensorRole role, int layer) =>
        new(name, weight.Rows, weight.Cols, false, weight.ToFloat32, role, layer);

    private static ExportTensor Vector(string name, float[] values) =>
        new(name, 1, values.Length, true, () => values, GgufTensorRole.Other, -1);

    /// <summary>convert_hf_to_gguf.py's LlamaModel.permute: within each head the rows [first half; second half] become
    /// interleaved pairs (row 2i ← i, row 2i+1 ← half + i), turning transformers' rotate-half RoPE layout into the
    /// adjacent-pair layout of llama.cpp's "llama" architecture.</summary>
    internal static float[] PermuteRows(float[] values, int heads, int rowLength)
    {
        int rows = values.Length / rowLength;
        if (rows % (2 * heads) != 0)
            throw new EngineException($"cannot permute {rows} rows into {heads} heads of pairs for the llama GGUF layout");
        int headRows = rows / heads, half = headRows / 2;
        var result = new float[values.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int t = 0; t < 2; t++)
                    values.AsSpan((h * headRows + t * half + i) * rowLength, rowLength)
                        .CopyTo(result.AsSpan((h * headRows + 2 * i + t) * rowLength, rowLength));
        return result;
    }

    /// <summary>rope_freqs for llama3 rope scaling (LlamaModel.generate_extra_tensors): per frequency the factor llama.cpp
    /// divides it by — 1 for short wavelengths, the scaling factor for long ones, interpolated between.</summary>
    private static float[] Llama3RopeFactors(int headDim, double theta, RopeScaling s)
    {
        var factors = new float[headDim / 2];
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor, highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (int i = 0; i < factors.Length; i++)
        {
            float freq = 1f / MathF.Pow((float)theta, 2f * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
            factors[i] = wavelen < highWavelen ? 1f
                : wavelen > lowWavelen ? (float)s.Factor
                : (float)(1 / ((1 - smooth) / s.Factor + smooth));
        }
        return factors;
    }
}
