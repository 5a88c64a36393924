// GgufExporter without llama.cpp: metadata and tensors read back through GgufFile, the GGUF's vocabulary tokenises as the
// checkpoint's tokenizer.json does, an f32 export turned back into a checkpoint gives the original logits exactly (so the
// renaming and LLaMA's q/k permutation are lossless), the Q4_K_M mixture, a merged adapter, the Modelfile, and bad input.
using RagTune.Engine.Export;
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Tensors;
using RagTune.Engine.Tokenizers;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Export;

public class GgufExporterTests
{
    private const string Prompt = "Hello, world! RagTune loads Qwen2 checkpoints.";

    public static TheoryData<string> Models => ExportFixtureModels.NamesData;

    private static Task<GgufExportResult> Export(string model, GgufExportType type, string output, string? adapter = null) =>
        GgufExporter.ExportAsync(new GgufExportOptions { ModelDirectory = model, Type = type, OutputPath = output, AdapterDirectory = adapter },
            TestContext.Current.CancellationToken);

    private static float[] LastLogits(string directory, int[] ids)
    {
        using var model = DecoderModel.Load(directory);
        return model.CreateSession(capacity: 64).Forward(ids).ToArray();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Metadata_and_vocabulary_read_back(string name)
    {
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create(name, dir.File("model"));
        var result = await Export(model, GgufExportType.F16, dir.File("m.gguf"));
        var gguf = GgufFile.Read(result.GgufPath);
        var config = (DecoderConfig)ModelConfig.Load(model);
        string arch = gguf.GetString("general.architecture");

        Assert.Equal(name, arch);
        Assert.Equal(1L, gguf.GetIntegerOrNull("general.file_type"));
        Assert.Equal(2L, gguf.GetIntegerOrNull("general.quantization_version"));
        Assert.Equal(config.NumHiddenLayers, gguf.GetIntegerOrNull($"{arch}.block_count"));
        Assert.Equal(config.MaxPositionEmbeddings, gguf.GetIntegerOrNull($"{arch}.context_length"));
        Assert.Equal(config.HiddenSize, gguf.GetIntegerOrNull($"{arch}.embedding_length"));
        Assert.Equal(config.IntermediateSize, gguf.GetIntegerOrNull($"{arch}.feed_forward_length"));
        Assert.Equal(config.NumAttentionHeads, gguf.GetIntegerOrNull($"{arch}.attention.head_count"));
        Assert.Equal(config.NumKeyValueHeads, gguf.GetIntegerOrNull($"{arch}.attention.head_count_kv"));
        Assert.Equal(config.HeadDim, gguf.GetIntegerOrNull($"{arch}.attention.key_length"));
        Assert.Equal((float)config.RopeTheta, gguf.Metadata[$"{arch}.rope.freq_base"]);
        Assert.Equal((float)config.RmsNormEps, gguf.Metadata[$"{arch}.attention.layer_norm_rms_epsilon"]);
        Assert.Equal("gpt2", gguf.GetString("tokenizer.ggml.model"));
        Assert.Equal("qwen2", gguf.GetString("tokenizer.ggml.pre"));
        Assert.Equal(config.VocabSize, gguf.GetStringArray("tokenizer.ggml.tokens").Length);
        Assert.Equal(508L, gguf.GetIntegerOrNull("tokenizer.ggml.eos_token_id"));      // <|im_end|>, tokenizer_config's eos_token
        Assert.Equal(506L, gguf.GetIntegerOrNull("tokenizer.ggml.padding_token_id"));  // <|endoftext|>
        Assert.Equal(506L, gguf.GetIntegerOrNull("tokenizer.ggml.bos_token_id"));      // config.json's bos_token_id
        Assert.False(gguf.GetBoolOrNull("tokenizer.ggml.add_bos_token"));
        Assert.Contains("<|im_start|>", gguf.GetString("tokenizer.chat_template"));

        var fromGguf = Tokenizer.FromGguf(result.GgufPath);
        var fromJson = Tokenizer.Load(model);
        Assert.Equal(fromJson.Encode(Prompt), fromGguf.Encode(Prompt));
        string chat = "<|im_start|>user\nWhat is RagTune?<|im_end|>\n<|im_start|>assistant\n";
        Assert.Equal(fromJson.Encode(chat, parseSpecial: true), fromGguf.Encode(chat, parseSpecial: true));

        var names = gguf.Tensors.Select(t => t.Name).ToHashSet();
        Assert.Contains("token_embd.weight", names);
        Assert.Contains("blk.1.ffn_down.weight", names);
        Assert.Equal(!config.TieWordEmbeddings, names.Contains("output.weight"));
        Assert.Equal(name == "qwen2", names.Contains("blk.0.attn_q.bias"));
        Assert.Equal(name == "qwen3", names.Contains("blk.0.attn_k_norm.weight"));
        Assert.Equal(name == "llama", names.Contains("rope_freqs.weight"));
        var embd = gguf.Tensors.Single(t => t.Name == "token_embd.weight");
        Assert.Equal(new[] { (ulong)config.HiddenSize, (ulong)config.VocabSize }, embd.Dimensions);
        Assert.Equal((uint)GgmlType.F16, embd.GgmlType);
        Assert.Equal((uint)GgmlType.F32, gguf.Tensors.Single(t => t.Name == "blk.0.attn_norm.weight").GgmlType);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task An_f32_export_turned_back_into_a_checkpoint_gives_the_same_logits(string name)
    {
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create(name, dir.File("model"));
        var result = await Export(model, GgufExportType.F32, dir.File("m.gguf"));
        string back = ExportFixtureModels.ToCheckpoint(result.GgufPath, model, dir.File("back"));
        int[] ids = Tokenizer.Load(model).Encode(Prompt);
        Assert.Equal(LastLogits(model, ids), LastLogits(back, ids));
    }

    [Fact]
    public async Task An_internlm2_export_splits_wqkv_and_loads_back_from_the_gguf_with_the_same_logits()
    {
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create("internlm2", dir.File("model"));
        var result = await Export(model, GgufExportType.F32, dir.File("m.gguf"));
        var gguf = GgufFile.Read(result.GgufPath);
        var names = gguf.Tensors.Select(t => t.Name).ToHashSet();
        Assert.Contains("blk.0.attn_q.weight", names);
        Assert.Contains("blk.0.attn_k.weight", names);
        Assert.Contains("blk.0.attn_v.weight", names);
        Assert.DoesNotContain(names, n => n.Contains("qkv", StringComparison.Ordinal));
        Assert.Equal(new ulong[] { 256, 128 }, gguf.Tensors.Single(t => t.Name == "blk.1.attn_k.weight").Dimensions);  // KV·D = 2·64 rows

        // The GGUF itself (llama.cpp's internlm2 arch) loads as the LLaMA it is, with the packed model's logits.
        int[] ids = Tokenizer.Load(model).Encode(Prompt);
        float[] expected = LastLogits(model, ids), actual = LastLogits(result.GgufPath, ids);
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) < 1e-4, "logits of the internlm2 GGUF differ from the checkpoint's");

        // Biased wqkv/wo (InternLM2's `bias`, default true) has no place in llama.cpp's internlm2 tensors.
        File.WriteAllText(Path.Combine(model, "config.json"), File.ReadAllText(Path.Combine(model, "config.json")).Replace("\"bias\": false", "\"bias\": true"));
        var biased = await Assert.ThrowsAsync<EngineException>(() => Export(model, GgufExportType.F32, dir.File("b.gguf")));
        Assert.Contains("config.json", biased.Message);
        Assert.Contains("\"bias\"", biased.Message);
    }

    [Fact]
    public async Task A_gpt2_export_has_llama_cpp_s_gpt2_tensors_and_loads_back_from_the_gguf_with_the_same_logits()
    {
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create("gpt2", dir.File("model"));
        var result = await Export(model, GgufExportType.F32, dir.File("m.gguf"));
        var gguf = GgufFile.Read(result.GgufPath);
        Assert.Equal("gpt2", gguf.GetString("general.architecture"));
        Assert.Equal(128L, gguf.GetIntegerOrNull("gpt2.context_length"));
        Assert.Equal(1024L, gguf.GetIntegerOrNull("gpt2.feed_forward_length"));   // n_inner null: 4·n_embd
        Assert.Equal(1e-5f, gguf.Metadata["gpt2.attention.layer_norm_epsilon"]);
        Assert.False(gguf.Metadata.ContainsKey("gpt2.rope.freq_base"));
        var names = gguf.Tensors.Select(t => t.Name).ToHashSet();
        foreach (var expected in new[] { "position_embd.weight", "blk.0.attn_norm.bias", "blk.0.attn_qkv.bias", "blk.1.ffn_down.bias", "output_norm.bias" })
            Assert.Contains(expected, names);
        Assert.DoesNotContain("output.weight", names);   // tied to wte
        // c_attn [in 256, out 768] as llama.cpp's {n_embd, 3·n_embd}: ne0 = 256 (conversion/gpt2.py transposes Conv1D).
        Assert.Equal(new ulong[] { 256, 768 }, gguf.Tensors.Single(t => t.Name == "blk.0.attn_qkv.weight").Dimensions);
        Assert.Equal(new ulong[] { 1024, 256 }, gguf.Tensors.Single(t => t.Name == "blk.1.ffn_down.weight").Dimensions);

        // The GGUF itself loads as the GPT-2 it is, with the checkpoint's logits.
        int[] ids = Tokenizer.Load(model).Encode(Prompt);
        float[] expectedLogits = LastLogits(model, ids), actual = LastLogits(result.GgufPath, ids);
        Assert.Equal(expectedLogits.Length, actual.Length);
        Assert.True(expectedLogits.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) < 1e-4, "logits of the gpt2 GGUF differ from the checkpoint's");
        using (var fromGguf = DecoderModel.Load(result.GgufPath))
            Assert.IsType<Gpt2Config>(fromGguf.Config);

        // Learned positions stay float32 in every type, as llama-quantize leaves them.
        var q8 = GgufFile.Read((await Export(model, GgufExportType.Q8_0, dir.File("q8.gguf"))).GgufPath);
        Assert.Equal((uint)GgmlType.F32, q8.Tensors.Single(t => t.Name == "position_embd.weight").GgmlType);
    }

    [Fact]
    public async Task A_gpt2_gguf_without_position_embd_is_one_error_naming_the_file_and_tensor()
    {
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create("gpt2", dir.File("model"));
        string path = (await Export(model, GgufExportType.F16, dir.File("m.gguf"))).GgufPath;
        var bytes = File.ReadAllBytes(path);
        // Rename the tensor in the header (same length), so the file is intact but has no position_embd.weight.
        var name = System.Text.Encoding.UTF8.GetBytes("position_embd.weight");
        int at = bytes.AsSpan().IndexOf(name);
        Assert.True(at > 0);
        System.Text.Encoding.UTF8.GetBytes("position_embX.weight").CopyTo(bytes, at);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<EngineException>(() => DecoderModel.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'position_embd.weight' is missing", e.Message);
    }

    [Fact]
    public async Task An_internlm2_with_only_tokenizer_model_exports_the_sentencepiece_vocabulary()
    {
        // InternLM2-chat checkpoints ship tokenizer.model and no tokenizer.json: the GGUF gets the "llama" vocabulary.
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create("internlm2", dir.File("model"));
        File.Delete(Path.Combine(model, "tokenizer.json"));
        string spm = Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizers", "spm-bpe");
        foreach (string file in new[] { "tokenizer.model", "tokenizer_config.json" })
            File.Copy(Path.Combine(spm, file), Path.Combine(model, file), overwrite: true);
        var result = await Export(model, GgufExportType.F16, dir.File("m.gguf"));
        var gguf = GgufFile.Read(result.GgufPath);

        Assert.Equal("llama", gguf.GetString("tokenizer.ggml.model"));
        Assert.Equal(512, gguf.GetStringArray("tokenizer.ggml.tokens").Length);          // 500 pieces padded to vocab_size
        Assert.Equal("[PAD500]", gguf.GetStringArray("tokenizer.ggml.tokens")[500]);
        Assert.Equal(1L, gguf.GetIntegerOrNull("tokenizer.ggml.bos_token_id"));
        Assert.Equal(4L, gguf.GetIntegerOrNull("tokenizer.ggml.eos_token_id"));          // <|im_end|>, InternLM2's chat EOS
        Assert.True(gguf.GetBoolOrNull("tokenizer.ggml.add_bos_token"));
        Assert.True(gguf.GetBoolOrNull("tokenizer.ggml.add_space_prefix"));
        Assert.Contains("<|im_start|>", gguf.GetString("tokenizer.chat_template"));

        // llama.cpp's SentencePiece tokenizer over that vocabulary gives SentencePiece's ids (the chat markers are control
        // tokens there, parsed as specials, so texts holding them are left out).
        using var golden = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(spm, "golden.json")));
        var texts = golden.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
        var ids = golden.RootElement.GetProperty("ids").EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToList();
        var fromGguf = Tokenizer.FromGguf(result.GgufPath);
        int compared = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i].Contains("<|", StringComparison.Ordinal)) continue;
            Assert.True(ids[i].SequenceEqual(fromGguf.Encode(texts[i])), $"\"{texts[i]}\": expected [{string.Join(",", ids[i])}], got [{string.Join(",", fromGguf.Encode(texts[i]))}]");
            compared++;
        }
        Assert.True(compared > 60);
        string chat = golden.RootElement.GetProperty("chat").GetProperty("prompt").GetString()!;
        Assert.Equal(golden.RootElement.GetProperty("chat").GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()), fromGguf.Encode(chat, parseSpecial: true));
    }

    [Fact]
    public void Llama_q_and_k_rows_are_interleaved_per_head_as_convert_hf_to_gguf_does()
    {
        // 2 heads of 4 rows (1 column): transformers' [a0 a1 | a2 a3] halves become llama.cpp's pairs [a0 a2 a1 a3].
        float[] rows = [0, 1, 2, 3, 10, 11, 12, 13];
        Assert.Equal(new float[] { 0, 2, 1, 3, 10, 12, 11, 13 }, GgufExporter.PermuteRows(rows, heads: 2, rowLength: 1));
    }

    [Fact]
    public async Task Q4_K_M_picks_llama_quantize_s_types()
    {
        using var dir = new TempDirectory();
        var types = new Dictionary<string, Dictionary<string, GgmlType>>();
        foreach (var name in new[] { "llama", "qwen2" })
        {
            var result = await Export(ExportFixtureModels.Create(name, dir.File(name)), GgufExportType.Q4_K_M, dir.File(name + ".gguf"));
            types[name] = GgufFile.Read(result.GgufPath).Tensors.ToDictionary(t => t.Name, t => (GgmlType)t.GgmlType);
        }
        // use_more_bits(layer, 2 layers) is true for layer 1 only: attn_v and ffn_down get Q6_K there.
        Assert.Equal(GgmlType.Q4_K, types["llama"]["blk.0.attn_v.weight"]);
        Assert.Equal(GgmlType.Q6_K, types["llama"]["blk.1.attn_v.weight"]);
        Assert.Equal(GgmlType.Q4_K, types["llama"]["blk.0.ffn_down.weight"]);
        Assert.Equal(GgmlType.Q6_K, types["llama"]["blk.1.ffn_down.weight"]);
        Assert.Equal(GgmlType.Q4_K, types["llama"]["blk.0.attn_q.weight"]);
        Assert.Equal(GgmlType.Q4_K, types["llama"]["token_embd.weight"]);
        Assert.Equal(GgmlType.Q6_K, types["llama"]["output.weight"]);
        Assert.Equal(GgmlType.F32, types["llama"]["rope_freqs.weight"]);
        Assert.Equal(GgmlType.Q6_K, types["qwen2"]["token_embd.weight"]);  // tied: the embedding is the output matrix
        Assert.Equal(GgmlType.F32, types["qwen2"]["blk.0.attn_q.bias"]);
        Assert.Equal(GgmlType.F32, types["qwen2"]["output_norm.weight"]);
    }

    [Fact]
    public async Task Q4_K_M_falls_back_for_rows_that_are_not_whole_super_blocks()
    {
        using var dir = new TempDirectory();
        // qwen2-tiny: hidden 64 (Q4_K → Q5_0, Q6_K → Q8_0); qwen3-tiny: hidden 48 (not even a multiple of 32 → F16).
        var qwen2 = GgufFile.Read((await Export(Models_("qwen2-tiny"), GgufExportType.Q4_K_M, dir.File("a.gguf"))).GgufPath)
            .Tensors.ToDictionary(t => t.Name, t => (GgmlType)t.GgmlType);
        var qwen3 = GgufFile.Read((await Export(Models_("qwen3-tiny"), GgufExportType.Q4_K_M, dir.File("b.gguf"))).GgufPath)
            .Tensors.ToDictionary(t => t.Name, t => (GgmlType)t.GgmlType);
        Assert.Equal(GgmlType.Q5_0, qwen2["blk.0.attn_q.weight"]);
        Assert.Equal(GgmlType.Q8_0, qwen2["blk.1.attn_v.weight"]);
        Assert.Equal(GgmlType.F16, qwen3["blk.0.attn_q.weight"]);
        Assert.Equal(GgmlType.Q5_0, qwen3["blk.0.attn_output.weight"]);  // rows of 64 = 4 heads × 16 fit Q5_0
    }

    /// <summary>Our Q4_K_M export of a model whose rows are not whole super-blocks (Q5_0 and Q8_0 / F16 inside) loads
    /// back in GgufDecoder and gives the logits of its own weights dequantised into a checkpoint: exactly when loaded
    /// as float32, and within the int8 rounding of x when decoded token by token from the blocks in place.</summary>
    [Theory]
    [InlineData("qwen2-tiny")]   // hidden 64: Q5_0 + Q8_0
    [InlineData("qwen3-tiny")]   // hidden 48: Q5_0 + F16
    public async Task A_q4_k_m_export_with_fallback_types_loads_back_with_its_own_dequantised_logits(string fixture)
    {
        using var dir = new TempDirectory();
        var result = await Export(Models_(fixture), GgufExportType.Q4_K_M, dir.File("m.gguf"));
        Assert.Contains(GgufFile.Read(result.GgufPath).Tensors, t => (GgmlType)t.GgmlType == GgmlType.Q5_0);
        string back = ExportFixtureModels.ToCheckpoint(result.GgufPath, Models_(fixture), dir.File("back"));
        int[] ids = Tokenizer.Load(Models_(fixture)).Encode(Prompt);
        var expected = LastLogits(back, ids);
        float scale = expected.Max(MathF.Abs);

        using (var widened = DecoderModel.Load(result.GgufPath, WeightFormat.F32))
            Kernels.KernelAgreementTests.AssertClose(expected, widened.CreateSession(capacity: 64).Forward(ids), 1e-5f * scale);

        using var stored = DecoderModel.Load(result.GgufPath);
        Assert.Contains(stored.Layers, l => l.QProj.Weight.Format == WeightFormat.Q5_0 || l.OProj.Weight.Format == WeightFormat.Q5_0);
        var session = stored.CreateSession(capacity: 64);
        float[] last = [];
        foreach (int id in ids) last = session.Forward([id]).ToArray();
        Kernels.KernelAgreementTests.AssertClose(expected, last, 0.03f * scale);
    }

    private static string Models_(string fixture) => Path.Combine(AppContext.BaseDirectory, "TestData", "models", fixture);

    [Fact]
    public async Task An_adapter_is_merged_into_the_exported_weights()
    {
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create("qwen2", dir.File("model"));
        string adapterDir = dir.File("adapter");
        int[] ids = Tokenizer.Load(model).Encode(Prompt);
        float[] expected;
        using (var m = DecoderModel.Load(model, WeightFormat.F32))
        {
            var linears = ParameterSet.DecoderLinears(m).ToList();
            var options = new LoraOptions { Rank = 4, Alpha = 8 };
            var adapters = PeftAdapter.CreateNew(linears, options, new Random(3));
            var rng = new Random(5);
            foreach (var (_, ad) in adapters.Modules)
                for (int i = 0; i < ad.B.Length; i++) ad.B[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
            PeftAdapter.Save(adapterDir, adapters, options, model);
            expected = m.CreateSession(capacity: 64, adapters: adapters).Forward(ids).ToArray();   // the adapter applied unmerged
        }
        var result = await Export(model, GgufExportType.F32, dir.File("m.gguf"), adapterDir);
        Assert.Equal(7 * 2, result.MergedAdapterModules);
        var actual = LastLogits(ExportFixtureModels.ToCheckpoint(result.GgufPath, model, dir.File("back")), ids);
        Assert.Equal(expected.Length, actual.Length);
        float maxDiff = expected.Zip(actual).Max(p => MathF.Abs(p.First - p.Second));
        Assert.True(maxDiff < 1e-4f, $"merged vs unmerged adapter: max |Δlogit| = {maxDiff}");
        float changed = expected.Zip(LastLogits(model, ids)).Max(p => MathF.Abs(p.First - p.Second));
        Assert.True(changed > 1e-2f, "the adapter must change the logits for this test to mean anything");
    }

    [Fact]
    public async Task The_modelfile_carries_the_template_stops_and_parameters()
    {
        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create("qwen2", dir.File("model"));
        var result = await Export(model, GgufExportType.Q8_0, Path.Combine(dir.Path, "out", "tuned.gguf"));
        Assert.Equal(Path.Combine(dir.Path, "out", "tuned.Modelfile"), result.ModelfilePath);
        string text = File.ReadAllText(result.ModelfilePath!);
        Assert.Contains("FROM ./tuned.gguf\n", text);
        Assert.Contains("TEMPLATE \"\"\"{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n", text);
        Assert.Contains("{{- if ne .Role \"system\" }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n", text);
        Assert.Contains("PARAMETER stop \"<|im_end|>\"\n", text);
        Assert.Contains("PARAMETER stop \"<|endoftext|>\"\n", text);
        Assert.Contains("PARAMETER temperature 0\n", text);   // generation_config.json: do_sample false
        Assert.Contains("PARAMETER num_ctx 2048\n", text);
        Assert.DoesNotContain("SYSTEM", text);                 // the fixture's ChatML template has no default system message

        // A LLaMA-3 chat template gives the header format and <|eot_id|>.
        string cfg = Path.Combine(model, "tokenizer_config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("<|im_start|>", "<|start_header_id|>"));
        var llama3 = await Export(model, GgufExportType.Q8_0, Path.Combine(dir.Path, "l3", "m.gguf"));
        string l3 = File.ReadAllText(llama3.ModelfilePath!);
        Assert.Contains("<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>", l3);
        Assert.Contains("PARAMETER stop \"<|eot_id|>\"\n", l3);
    }

    [Fact]
    public async Task Bad_input_is_one_clear_error_and_leaves_no_file()
    {
        using var dir = new TempDirectory();
        var noConfig = await Assert.ThrowsAsync<EngineException>(() => Export(dir.Path, GgufExportType.F16, dir.File("a.gguf")));
        Assert.Contains("config.json", noConfig.Message);

        var encoder = await Assert.ThrowsAsync<EngineException>(() => Export(Models_("bert-tiny-cls"), GgufExportType.F16, dir.File("b.gguf")));
        Assert.Contains("encoder", encoder.Message);

        string unknown = ExportFixtureModels.Create("qwen2", dir.File("unknown"));
        File.WriteAllText(Path.Combine(unknown, "config.json"), File.ReadAllText(Path.Combine(unknown, "config.json")).Replace("Qwen2ForCausalLM", "MysteryForCausalLM"));
        var arch = await Assert.ThrowsAsync<EngineException>(() => Export(unknown, GgufExportType.F16, dir.File("c.gguf")));
        Assert.Contains("MysteryForCausalLM", arch.Message);

        string target = dir.File("d.gguf");
        var rows = await Assert.ThrowsAsync<EngineException>(() => Export(Models_("qwen3-tiny"), GgufExportType.Q8_0, target));
        Assert.Contains("token_embd.weight", rows.Message);
        Assert.Contains("48", rows.Message);
        Assert.False(File.Exists(target));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp"));

        // A failure while the data is written (here: a tokenizer id past vocab_size is caught before) leaves an existing file as it was.
        File.WriteAllText(target, "old");
        string bigVocab = ExportFixtureModels.Create("qwen2", dir.File("small-vocab"));
        File.WriteAllText(Path.Combine(bigVocab, "config.json"), File.ReadAllText(Path.Combine(bigVocab, "config.json")).Replace("\"vocab_size\": 512", "\"vocab_size\": 500"));
        await Assert.ThrowsAnyAsync<Exception>(() => Export(bigVocab, GgufExportType.F16, target));
        Assert.Equal("old", File.ReadAllText(target));
    }
}
