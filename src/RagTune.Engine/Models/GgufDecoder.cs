// A GGUF file of llama.cpp's llama / qwen2 / qwen3 / internlm2 architectures as a DecoderModel (internlm2, whose wqkv
// the conversion split into permuted attn_q/attn_k and attn_v, is a LLaMA in every other respect and loads as one). Hyper-parameters come from the
// `<arch>.*` metadata and become the Hugging Face config the rest of the engine reads; tensors are found under llama.cpp's
// names (blk.N.attn_q …, the table below) and keep the Hugging Face names (model.layers.N.self_attn.q_proj …), so LoRA
// adapters, training and export see the same model as from safetensors. convert_hf_to_gguf.py permutes LLaMA's q/k rows
// for llama.cpp's interleaved (GPT-J style) RoPE; this engine rotates halves (GPT-NeoX style, as transformers does), so
// the permutation is undone at load. Qwen2/Qwen3 use NeoX RoPE in llama.cpp too and are stored unpermuted. A gpt2 file
// (conversion/gpt2.py: Conv1D weights transposed to [out, in], c_attn whole as attn_qkv, wpe as position_embd, LayerNorms
// with biases) loads as the GPT2LMHeadModel it came from, its projections already in the [out, in] layout the engine uses.
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public static class GgufDecoder
{
    /// <summary>general.architecture → the Hugging Face architecture it is loaded as.</summary>
    private static readonly Dictionary<string, string> Architectures = new(StringComparer.Ordinal)
    {
        ["llama"] = "LlamaForCausalLM",
        ["internlm2"] = "LlamaForCausalLM",
        ["qwen2"] = "Qwen2ForCausalLM",
        ["qwen3"] = "Qwen3ForCausalLM",
        ["gpt2"] = "GPT2LMHeadModel",
    };

    /// <summary>GPT-2's Hugging Face modules → llama.cpp tensor base names: outside the layers, then per layer.</summary>
    private static readonly Dictionary<string, string> Gpt2Names = new(StringComparer.Ordinal)
    {
        ["transformer.wte"] = "token_embd",
        ["transformer.wpe"] = "position_embd",
        ["transformer.ln_f"] = "output_norm",
        ["lm_head"] = "output",
        ["ln_1"] = "attn_norm",
        ["attn.c_attn"] = "attn_qkv",
        ["attn.c_proj"] = "attn_output",
        ["ln_2"] = "ffn_norm",
        ["mlp.c_fc"] = "ffn_up",
        ["mlp.c_proj"] = "ffn_down",
    };

    /// <summary>Per-layer Hugging Face module → llama.cpp tensor base name (llama-arch.cpp's LLM_TENSOR_NAMES).</summary>
    private static readonly Dictionary<string, string> LayerNames = new(StringComparer.Ordinal)
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["self_attn.q_norm"] = "attn_q_norm",
        ["self_attn.k_norm"] = "attn_k_norm",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

    public static IReadOnlyCollection<string> SupportedArchitectures => Architectures.Keys;

    /// <summary>The Hugging Face architecture a general.architecture value loads as (qwen2 → Qwen2ForCausalLM), or null.</summary>
    public static string? HuggingFaceArchitecture(string? ggufArchitecture) =>
        ggufArchitecture is not null && Architectures.TryGetValue(ggufArchitecture, out var hf) ? hf : null;

    /// <summary>The llama.cpp tensor name of a Hugging Face decoder tensor (model.layers.3.mlp.up_proj.weight →
    /// blk.3.ffn_up.weight; GPT-2's transformer.h.3.mlp.c_fc.bias → blk.3.ffn_up.bias).</summary>
    public static string TensorName(string huggingFaceName)
    {
        if (huggingFaceName.StartsWith("transformer.", StringComparison.Ordinal))
            return Gpt2TensorName(huggingFaceName);
        switch (huggingFaceName)
        {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
        }
        const string layers = "model.layers.";
        if (huggingFaceName.StartsWith(layers, StringComparison.Ordinal))
        {
            int dot = huggingFaceName.IndexOf('.', layers.Length);
            int last = huggingFaceName.LastIndexOf('.');
            if (dot > 0 && last > dot && LayerNames.TryGetValue(huggingFaceName[(dot + 1)..last], out var gg))
                return $"blk.{huggingFaceName[layers.Length..dot]}.{gg}{huggingFaceName[last..]}";
        }
        throw new ArgumentException($"'{huggingFaceName}' is not a tensor of a Llama-family decoder");
    }

    private static string Gpt2TensorName(string name)
    {
        const string layers = "transformer.h.";
        int last = name.LastIndexOf('.');
        if (Gpt2Names.TryGetValue(name[..last], out var top)) return top + name[last..];
        if (name.StartsWith(layers, StringComparison.Ordinal))
        {
            int dot = name.IndexOf('.', layers.Length);
            if (dot > 0 && last > dot && Gpt2Names.TryGetValue(name[(dot + 1)..last], out var gg))
                return $"blk.{name[layers.Length..dot]}.{gg}{name[last..]}";
        }
        throw new ArgumentException($"'{name}' is not a tensor of a GPT-2 decoder");
    }

    /// <summary>The hyper-parameters of a GGUF decoder: its `&lt;arch&gt;.*` keys checked (present, positive, consistent) and
    /// turned into the Hugging Face config the model is built from.</summary>
    public static DecoderConfig ReadConfig(GgufFile gguf)
    {
        ArgumentNullException.ThrowIfNull(gguf);
        string arch = gguf.GetString("general.architecture");
        if (!Architectures.TryGetValue(arch, out var hfArchitecture))
            throw new EngineException($"{gguf.Path}: general.architecture is \"{arch}\", expected one of {string.Join(", ", Architectures.Keys)}");
        if (arch == "gpt2") return ReadGpt2Config(gguf, hfArchitecture);
        int hidden = Positive(gguf, $"{arch}.embedding_length");
        int layers = Positive(gguf, $"{arch}.block_count");
        int heads = Positive(gguf, $"{arch}.attention.head_count");
        int kvHeads = OptionalPositive(gguf, $"{arch}.attention.head_count_kv") ?? heads;
        if (heads % kvHeads != 0)
            throw Invalid(gguf, $"{arch}.attention.head_count_kv", kvHeads, $"a divisor of {arch}.attention.head_count ({heads})");
        int? keyLength = OptionalPositive(gguf, $"{arch}.attention.key_length");
        if (keyLength is null && hidden % heads != 0)
            throw Invalid(gguf, $"{arch}.embedding_length", hidden, $"a multiple of {arch}.attention.head_count ({heads}) when attention.key_length is absent");
        int headDim = keyLength ?? hidden / heads;
        if (OptionalPositive(gguf, $"{arch}.attention.value_length") is { } valueLength && valueLength != headDim)
            throw Invalid(gguf, $"{arch}.attention.value_length", valueLength, $"{headDim}, the key length (separate value heads are not supported)");
        if (OptionalPositive(gguf, $"{arch}.rope.dimension_count") is { } ropeDims && ropeDims != headDim)
            throw Invalid(gguf, $"{arch}.rope.dimension_count", ropeDims, $"{headDim}, the head size (partial rotary embeddings are not supported)");
        var eps = gguf.GetFloatOrNull($"{arch}.attention.layer_norm_rms_epsilon")
            ?? throw new EngineException($"{gguf.Path}: GGUF metadata key '{arch}.attention.layer_norm_rms_epsilon' is missing (expected the RMSNorm epsilon)");
        if (!(eps > 0)) throw Invalid(gguf, $"{arch}.attention.layer_norm_rms_epsilon", eps, "a positive number");
        double theta = gguf.GetFloatOrNull($"{arch}.rope.freq_base") ?? 10000.0;
        if (!(theta > 0)) throw Invalid(gguf, $"{arch}.rope.freq_base", theta, "a positive number");

        long vocab = VocabularySize(gguf, arch, hidden);

        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(hfArchitecture),
            ["model_type"] = hfArchitecture == "LlamaForCausalLM" ? "llama" : arch,
            ["hidden_size"] = hidden,
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = heads,
            ["num_key_value_heads"] = kvHeads,
            ["head_dim"] = headDim,
            ["intermediate_size"] = Positive(gguf, $"{arch}.feed_forward_length"),
            ["vocab_size"] = vocab,
            ["max_position_embeddings"] = Positive(gguf, $"{arch}.context_length"),
            ["hidden_act"] = "silu",
            ["rope_theta"] = theta,
            ["rms_norm_eps"] = eps,
            ["tie_word_embeddings"] = gguf.FindTensor("output.weight") is null,
            ["attention_bias"] = gguf.FindTensor("blk.0.attn_q.bias") is not null,
            ["mlp_bias"] = gguf.FindTensor("blk.0.ffn_gate.bias") is not null,
        };
        if (RopeScalingOf(gguf, arch) is { } scaling) config["rope_scaling"] = scaling;

        AddSpecialIds(gguf, config);
        var fields = Fields(gguf, config);
        return arch switch
        {
            "llama" or "internlm2" => new LlamaConfig(fields, hfArchitecture),
            "qwen2" => new Qwen2Config(fields, hfArchitecture),
            _ => new Qwen3Config(fields, hfArchitecture),
        };
    }

    /// <summary>A gpt2 file's hyper-parameters (conversion/gpt2.py's keys: no RoPE, no grouped heads, LayerNorm's epsilon)
    /// as the GPT-2 config.json they came from.</summary>
    private static Gpt2Config ReadGpt2Config(GgufFile gguf, string hfArchitecture)
    {
        int hidden = Positive(gguf, "gpt2.embedding_length");
        int heads = Positive(gguf, "gpt2.attention.head_count");
        if (hidden % heads != 0)
            throw Invalid(gguf, "gpt2.embedding_length", hidden, $"a multiple of gpt2.attention.head_count ({heads})");
        if (OptionalPositive(gguf, "gpt2.attention.head_count_kv") is { } kv && kv != heads)
            throw Invalid(gguf, "gpt2.attention.head_count_kv", kv, $"{heads}, the head count (GPT-2 has no grouped key/value heads)");
        var eps = gguf.GetFloatOrNull("gpt2.attention.layer_norm_epsilon")
            ?? throw new EngineException($"{gguf.Path}: GGUF metadata key 'gpt2.attention.layer_norm_epsilon' is missing (expected the LayerNorm epsilon)");
        if (!(eps > 0)) throw Invalid(gguf, "gpt2.attention.layer_norm_epsilon", eps, "a positive number");
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(hfArchitecture),
            ["model_type"] = "gpt2",
            ["n_embd"] = hidden,
            ["n_layer"] = Positive(gguf, "gpt2.block_count"),
            ["n_head"] = heads,
            ["n_inner"] = Positive(gguf, "gpt2.feed_forward_length"),
            ["n_positions"] = Positive(gguf, "gpt2.context_length"),
            ["vocab_size"] = VocabularySize(gguf, "gpt2", hidden),
            ["activation_function"] = "gelu_new",
            ["layer_norm_epsilon"] = eps,
            ["tie_word_embeddings"] = gguf.FindTensor("output.weight") is null,
        };
        AddSpecialIds(gguf, config);
        return new Gpt2Config(Fields(gguf, config).WithAttributeMap(Gpt2Config.AttributeMap), hfArchitecture);
    }

    /// <summary>The rows of token_embd.weight [vocab, C], checked against the metadata and the vocabulary.</summary>
    private static long VocabularySize(GgufFile gguf, string arch, int hidden)
    {
        var embed = gguf.FindTensor("token_embd.weight")
            ?? throw new EngineException($"{gguf.Path}: tensor 'token_embd.weight' is missing (expected the token embeddings [vocab, {hidden}])");
        if (embed.Dimensions.Length != 2 || embed.Dimensions[0] != (ulong)hidden)
            throw new EngineException($"{gguf.Path}: tensor 'token_embd.weight' has shape [{string.Join(", ", embed.Shape)}], expected [vocab, {hidden}] ({arch}.embedding_length = {hidden})");
        long vocab = (long)embed.Dimensions[1];
        if (gguf.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens) && tokens is string[] list && list.Length != vocab)
            throw new EngineException($"{gguf.Path}: tokenizer.ggml.tokens has {list.Length} tokens, expected {vocab} (the rows of token_embd.weight)");
        return vocab;
    }

    private static void AddSpecialIds(GgufFile gguf, JsonObject config)
    {
        if (gguf.GetIntegerOrNull("tokenizer.ggml.bos_token_id") is { } bos) config["bos_token_id"] = bos;
        var eos = new JsonArray();
        foreach (string key in new[] { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
            if (gguf.GetIntegerOrNull(key) is { } id) eos.Add(id);
        config["eos_token_id"] = eos;
    }

    private static JsonFields Fields(GgufFile gguf, JsonObject config)
    {
        using var doc = JsonDocument.Parse(config.ToJsonString());
        return new JsonFields(doc.RootElement.Clone(), gguf.Path);
    }

    private static JsonObject? RopeScalingOf(GgufFile gguf, string arch)
    {
        string key = $"{arch}.rope.scaling.type";
        string? type = gguf.GetStringOrNull(key);
        if (type is null or "none") return null;
        if (type != "linear")
            throw new EngineException($"{gguf.Path}: {key} is \"{type}\", expected \"none\" or \"linear\" (llama3 scaling comes as a rope_freqs tensor; yarn is not supported)");
        double factor = gguf.GetFloatOrNull($"{arch}.rope.scaling.factor")
            ?? throw new EngineException($"{gguf.Path}: GGUF metadata key '{arch}.rope.scaling.factor' is missing (expected the linear RoPE scaling factor)");
        if (!(factor > 0)) throw Invalid(gguf, $"{arch}.rope.scaling.factor", factor, "a positive number");
        return new JsonObject { ["rope_type"] = "linear", ["factor"] = factor };
    }

    /// <summary>Loads the decoder in <paramref name="path"/>: matrices kept in their GGUF block format by default
    /// (Q8_0 as the engine's Q8, F16 widened to float32), or all converted to <paramref name="format"/>.</summary>
    public static DecoderModel Load(string path, WeightFormat format = WeightFormat.Checkpoint)
    {
        var gguf = GgufFile.Read(path);
        var config = ReadConfig(gguf);
        CheckTensors(gguf, config);
        var mapping = GgufMapping.Open(gguf);
        try
        {
            var reader = new Reader(mapping, config, format);
            var n = config.Names;
            var layers = DecoderModel.ReadLayers(config, reader.Vector, reader.Linear, n.Backbone);
            var embed = reader.Matrix(n.Backbone + n.EmbedTokens + ".weight");
            var lmHead = config.TieWordEmbeddings
                ? new Linear(n.LmHead, config.HiddenSize, config.VocabSize, embed, null)
                : reader.Linear(n.LmHead, bias: false);
            string norm = n.Backbone + n.FinalNorm;
            var model = DecoderModel.FromParts(config, embed, layers, reader.Vector(norm + ".weight"), lmHead,
                InverseFrequencies(mapping, config), what => NonFiniteValues.Error(gguf, what), reader.MappedAny ? mapping : null,
                normBias: config.LayerNormWithBias ? reader.Vector(norm + ".bias") : null,
                positionEmbeddings: n.PositionEmbeddings is { } wpe ? reader.Matrix(n.Backbone + wpe + ".weight") : null);
            if (!reader.MappedAny) mapping.Dispose();   // every tensor was copied or widened: nothing reads the file any more
            return model;
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>Checks every tensor before any is read: each type one RagTune reads, each extent inside the file, each
    /// tensor the architecture needs present with the shape the metadata implies. The first problem is an
    /// <see cref="EngineException"/> naming the file, the tensor and the metadata it contradicts.</summary>
    public static void CheckTensors(GgufFile gguf, DecoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(gguf);
        ArgumentNullException.ThrowIfNull(config);
        foreach (var tensor in gguf.Tensors) gguf.TensorByteCount(tensor);
        foreach (var expected in config.ExpectedTensors())
        {
            string name = TensorName(expected.Name);
            // GPT-2's Conv1D weights [in, out] are stored transposed, [out, in], as conversion/gpt2.py writes them.
            var spec = config.Conv1DWeights && expected.Shape.Length == 2 && name.StartsWith("blk.", StringComparison.Ordinal)
                ? expected with { Shape = [expected.Shape[1], expected.Shape[0]] }
                : expected;
            var info = gguf.FindTensor(name)
                ?? throw new EngineException($"{gguf.Path}: tensor '{name}' is missing (expected shape [{string.Join(", ", spec.Shape)}] for {config.Architecture})");
            if (!info.Shape.AsSpan().SequenceEqual(spec.Shape))
                throw new EngineException($"{gguf.Path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", spec.Shape)}] "
                    + $"from the {config.ModelType}.* metadata (embedding_length {config.HiddenSize}, head_count {config.NumAttentionHeads}, "
                    + $"head_count_kv {config.NumKeyValueHeads}, head size {config.HeadDim}, feed_forward_length {config.IntermediateSize})");
        }
    }

    // LLaMA-3.1-style scaling is stored as rope_freqs.weight [D/2]: llama.cpp divides each frequency by its factor.
    private static float[] InverseFrequencies(GgufMapping mapping, DecoderConfig config)
    {
        var gguf = mapping.File;
        var inverse = RopeScaling.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        if (gguf.FindTensor("rope_freqs.weight") is not { } info) return inverse;
        if (info.Shape is not [var n] || n != inverse.Length)
            throw new EngineException($"{gguf.Path}: tensor 'rope_freqs.weight' has shape [{string.Join(", ", info.Shape)}], expected [{inverse.Length}] (half the head size)");
        var factors = new float[n];
        GgmlQuants.Dequantize((GgmlType)info.GgmlType, mapping.TensorData(info), factors);
        for (int i = 0; i < inverse.Length; i++) inverse[i] /= factors[i];
        return inverse;
    }

    // Reads tensors from the mapped file: quantised matrices kept as stored point into it, everything else is widened
    // or copied from it (no intermediate copy of the raw bytes).
    private sealed class Reader(GgufMapping mapping, DecoderConfig config, WeightFormat format)
    {
        private readonly GgufFile gguf = mapping.File;

        /// <summary>True once a matrix reads its blocks in place from the mapping (the model must keep it open).</summary>
        public bool MappedAny { get; private set; }

        public float[] Vector(string name) => Vector(name, heads: 0);

        private float[] Vector(string name, int heads)
        {
            var info = gguf.FindTensor(TensorName(name))!;
            var values = new float[info.ElementCount];
            GgmlQuants.Dequantize((GgmlType)info.GgmlType, mapping.TensorData(info), values);
            return heads > 0 ? UnpermuteRows(values, heads, 4) : values;
        }

        public Linear Linear(string module, bool bias)
        {
            // Only LLaMA's q/k rows are permuted in the file.
            int heads = config.ModelType != "llama" ? 0
                : module.EndsWith("self_attn.q_proj", StringComparison.Ordinal) ? config.NumAttentionHeads
                : module.EndsWith("self_attn.k_proj", StringComparison.Ordinal) ? config.NumKeyValueHeads : 0;
            var w = Matrix(module + ".weight", heads);
            return new Linear(module, w.Cols, w.Rows, w, bias ? Vector(module + ".bias", heads) : null);
        }

        public WeightMatrix Matrix(string name, int heads = 0)
        {
            var info = gguf.FindTensor(TensorName(name))!;
            var type = (GgmlType)info.GgmlType;
            int rows = (int)info.Shape[0], cols = (int)info.Shape[1];
            // A 4-bit base asked for: the file's own 4/5/6-bit blocks are kept as they are (QLoRA over a GGUF).
            bool asStored = format == WeightFormat.Checkpoint || (format == WeightFormat.Q8 && type == GgmlType.Q8_0)
                || (format == WeightFormat.Q4_K && WeightFormats.FormatOf(type) is not null);
            if (asStored && WeightFormats.FormatOf(type) is not null && heads == 0)
            {
                MappedAny = true;
                return WeightMatrix.FromMapped(mapping, info);
            }
            ReadOnlySpan<byte> data = mapping.TensorData(info);
            // LLaMA's q/k rows are reordered, which needs a private copy of the blocks.
            if (heads > 0) data = UnpermuteRows(data.ToArray(), heads, (int)GgmlTypes.ByteCount(type, cols));
            if (asStored && WeightFormats.FormatOf(type) is not null) return WeightMatrix.FromGgml(type, data.ToArray(), rows, cols);
            if (asStored && type == GgmlType.Q8_0) return Q8FromQ8_0(data, rows, cols);
            if (format == WeightFormat.Checkpoint && type == GgmlType.BF16)
                return WeightMatrix.FromBF16(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(data).ToArray(), rows, cols);
            var values = new float[(long)rows * cols];
            GgmlQuants.Dequantize(type, data, values);
            return WeightMatrix.Convert(values, rows, cols, format == WeightFormat.Checkpoint ? WeightFormat.F32 : format);
        }

        // GGUF's Q8_0 (a half scale before each 32 int8) is the engine's Q8 with the scales split off and widened: exact.
        private static WeightMatrix Q8FromQ8_0(ReadOnlySpan<byte> data, int rows, int cols)
        {
            int blocks = rows * cols / 32;
            var values = new sbyte[(long)rows * cols];
            var scales = new float[blocks];
            for (int b = 0; b < blocks; b++)
            {
                scales[b] = Tensors.ReducedPrecision.HalfToFloat(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(data[(b * 34)..]));
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(data.Slice(b * 34 + 2, 32)).CopyTo(values.AsSpan(b * 32));
            }
            return WeightMatrix.FromQ8(values, scales, rows, cols);
        }

        /// <summary>convert_hf_to_gguf's LlamaModel.permute undone: within each head of D rows, the file's row 2i + s holds
        /// the Hugging Face row s·D/2 + i. Rows are moved whole (<paramref name="rowBytes"/> each), so blocks stay intact.</summary>
        private static T[] UnpermuteRows<T>(T[] data, int heads, int rowBytes) where T : unmanaged
        {
            int elementBytes = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            int rowLength = rowBytes / elementBytes;
            int rows = data.Length / rowLength, d = rows / heads;
            var result = new T[data.Length];
            for (int h = 0; h < heads; h++)
                for (int s = 0; s < 2; s++)
                    for (int i = 0; i < d / 2; i++)
                        data.AsSpan((h * d + 2 * i + s) * rowLength, rowLength).CopyTo(result.AsSpan((h * d + s * d / 2 + i) * rowLength));
            return result;
        }
    }

    private static int Positive(GgufFile gguf, string key) =>
        OptionalPositive(gguf, key) ?? throw new EngineException($"{gguf.Path}: GGUF metadata key '{key}' is missing (expected a positive integer)");

    private static int? OptionalPositive(GgufFile gguf, string key)
    {
        if (gguf.Metadata.TryGetValue(key, out var raw) && raw is Array)
            throw new EngineException($"{gguf.Path}: GGUF metadata '{key}' is an array (per-layer values are not supported), expected one positive integer");
        long? v = gguf.GetIntegerOrNull(key);
        if (v is null) return null;
        return v is > 0 and <= int.MaxValue ? (int)v : throw Invalid(gguf, key, v, "a positive integer");
    }

    private static EngineException Invalid(GgufFile gguf, string key, object? found, string expected) =>
        new($"{gguf.Path}: GGUF metadata '{key}' is {found}, expected {expected}");
}
