// GGUF decoders against llama.cpp itself (fixtures from tools/reference/gguf_fixtures.py: tiny random llama / qwen2 /
// qwen3 models quantised by llama-quantize, run by libllama): the tokenizer gives llama.cpp's prompt ids, the logits at
// every prompt position and at every greedy step agree within each file's tolerance, the greedy ids are llama.cpp's, and
// every tensor dequantises as gguf-py's twin of ggml-quants.c does.
using System.Text.Json;
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class GgufFixtureTests
{
    public static TheoryData<string> Names => new(
        "llama-micro-f32", "qwen2-micro-f16", "qwen3-micro-bf16", "llama-small-q8_0", "llama-small-q4_k_m",
        "qwen2-small-q4_k_m", "qwen2-small-q4_0", "qwen3-small-q4_k_m", "qwen3-small-q5_k_m",
        // Hidden 320 / ffn 640, not whole 256-weight super-blocks: llama-quantize's Q4_K_M holds Q5_0 + Q8_0 there (as
        // for Qwen2.5-0.5B's 896), Q5_K_M holds Q5_1 + Q8_0; Q4_1 as a file type.
        "qwen2-odd-q4_k_m", "qwen2-odd-q4_1", "qwen3-odd-q5_k_m");

    /// <summary>Against llama.cpp on the same weights dequantised to F32: float32 on both sides, only the summation order
    /// differs (the F32 fixture passes at 2e-6), so 1e-4 of the row's largest |logit| — an exact forward on exactly
    /// dequantised weights.</summary>
    private const double ExactTolerance = 1e-4;

    /// <summary>Against llama.cpp's quantised run: it rounds activations to 8 bits (Q8_K / Q8_0) or f16 before each
    /// quantised/F16 product, which moves its logits by up to "quantised_run_gap" (measured by the fixture script: its
    /// quantised run against its own run on the dequantised weights). RagTune's prefill is exact, so it must be within
    /// that gap (×1.5 for the summation order); its decode also rounds x to int8 per 32-block, so twice the gap.</summary>
    private static double QuantisedRunGap(string name) =>
        name.EndsWith("-f32", StringComparison.Ordinal) ? ExactTolerance : Expected(name, "dequantized").GetProperty("quantised_run_gap").GetDouble();

    internal static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "gguf", name + ".gguf");

    private static JsonElement Expected(string name, string kind = "expected")
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "gguf", $"{name}.{kind}.json")));
        return doc.RootElement.Clone();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Prompt_tokenizes_as_llama_cpp_does(string name)
    {
        var expected = Expected(name);
        var tokenizer = Tokenizer.Load(PathOf(name));
        Assert.Equal(expected.GetProperty("prompt_ids").Ints(), tokenizer.Encode(expected.GetProperty("prompt").GetString()!, addSpecialTokens: true, parseSpecial: true));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Prompt_logits_match_llama_cpp_on_the_dequantised_weights(string name)
    {
        var expected = Expected(name, name.EndsWith("-f32", StringComparison.Ordinal) ? "expected" : "dequantized");
        var rows = expected.GetProperty("prompt_logits").EnumerateArray().Select(r => r.Floats()).ToArray();
        // Q8_0 matrices load as the engine's Q8, whose prefill GEMM rounds x to int8 per 32-block as llama.cpp's Q8_0
        // products do: as stored, such a file is within llama.cpp's own gap of the exact run; loaded as float32 (every
        // tensor dequantised), it is exact like every other file.
        bool holdsQ8_0 = GgufFile.Read(PathOf(name)).Tensors.Any(t => t.Dimensions.Length == 2 && (GgmlType)t.GgmlType == GgmlType.Q8_0);
        var loads = holdsQ8_0
            ? new[] { (WeightFormat.Checkpoint, 1.5 * QuantisedRunGap(name)), (WeightFormat.F32, ExactTolerance) }
            : [(WeightFormat.Checkpoint, ExactTolerance)];
        foreach (var (format, tolerance) in loads)
        {
            var logits = PromptLogits(name, expected.GetProperty("prompt_ids").Ints(), out int v, format);
            for (int t = 0; t < rows.Length; t++)
                AssertRowClose(name, $"prompt position {t} (dequantised weights, loaded as {format})", rows[t], logits.AsSpan(t * v, v), tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Prompt_logits_match_llama_cpp_within_its_own_quantisation_gap(string name)
    {
        var expected = Expected(name);
        var logits = PromptLogits(name, expected.GetProperty("prompt_ids").Ints(), out int v);
        Assert.Equal(expected.GetProperty("vocab_size").GetInt32(), v);
        var rows = expected.GetProperty("prompt_logits").EnumerateArray().Select(r => r.Floats()).ToArray();
        double tolerance = Math.Max(ExactTolerance, 1.5 * QuantisedRunGap(name));
        for (int t = 0; t < rows.Length; t++)
            AssertRowClose(name, $"prompt position {t}", rows[t], logits.AsSpan(t * v, v), tolerance);
    }

    private static float[] PromptLogits(string name, int[] ids, out int v, WeightFormat format = WeightFormat.Checkpoint)
    {
        using var model = DecoderModel.Load(PathOf(name), format);
        v = model.Config.VocabSize;
        var logits = new float[ids.Length * v];
        // Two chunks of at least 4 tokens: the prefill GEMM path, the second over the cache.
        model.CreateSession(capacity: 64, chunk: (ids.Length + 1) / 2).ForwardAll(ids, logits);
        return logits;
    }

    /// <summary>Decoding one token at a time (the fused matrix-vector kernels) fed llama.cpp's own greedy ids: every
    /// step's logits within twice llama.cpp's quantisation gap (x is rounded to int8 here and to 8 bits there).</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Decode_logits_match_llama_cpp_at_every_greedy_step(string name)
    {
        var expected = Expected(name);
        using var model = DecoderModel.Load(PathOf(name));
        var session = model.CreateSession(capacity: 128);
        session.Forward(expected.GetProperty("prompt_ids").Ints());
        int[] want = expected.GetProperty("greedy_ids").Ints();
        var steps = expected.GetProperty("decode_logits").EnumerateArray().Select(r => r.Floats()).ToArray();
        double tolerance = Math.Max(ExactTolerance, 2 * QuantisedRunGap(name));
        for (int n = 0; n < want.Length; n++)
            AssertRowClose(name, $"greedy step {n}", steps[n], session.Forward([want[n]]), tolerance);
    }

    /// <summary>RagTune's own greedy continuation is llama.cpp's. Where the two part, llama.cpp's logits must show a tie
    /// within the rounding both sides do (its pick ahead of ours by no more than twice its quantisation gap), and not
    /// before the third token; after the parting the contexts differ, so nothing further is compared.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Greedy_continuation_is_llama_cpp_s(string name)
    {
        var expected = Expected(name);
        using var model = DecoderModel.Load(PathOf(name));
        var session = model.CreateSession(capacity: 128);
        int[] want = expected.GetProperty("greedy_ids").Ints();
        var theirs = expected.GetProperty("decode_logits").EnumerateArray().Select(r => r.Floats())
            .Prepend(expected.GetProperty("prompt_logits").EnumerateArray().Last().Floats()).ToArray();
        var logits = session.Forward(expected.GetProperty("prompt_ids").Ints()).ToArray();
        int n = 0, ours = -1;
        for (; n < want.Length && (ours = DecoderGoldenTests.ArgMax(logits)) == want[n]; n++)
            logits = session.Forward([ours]).ToArray();
        if (n == want.Length) return;
        double allowed = 2 * Math.Max(ExactTolerance, QuantisedRunGap(name)) * theirs[n].Max(Math.Abs);
        double lead = theirs[n][want[n]] - theirs[n][ours];
        Assert.True(n >= 3 && lead <= allowed, $"{name}: greedy step {n} is {ours}, llama.cpp's is {want[n]} and leads it by {lead:G4} "
            + $"in llama.cpp's logits (a tie within rounding is at most {allowed:G4}; parting is accepted from step 3)");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_tensor_dequantises_as_gguf_py_does(string name)
    {
        var gguf = GgufFile.Read(PathOf(name));
        var tensors = Expected(name, "tensors");
        Assert.Equal(tensors.EnumerateObject().Count(), gguf.Tensors.Count);
        foreach (var t in gguf.Tensors)
        {
            var want = tensors.GetProperty(t.Name);
            Assert.Equal(want.GetProperty("type").GetString(), ((GgmlType)t.GgmlType).ToString());
            Assert.Equal(want.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), t.Shape);
            var values = new float[t.ElementCount];
            GgmlQuants.Dequantize((GgmlType)t.GgmlType, gguf.ReadTensorData(t), values);
            var row0 = want.GetProperty("row0").Floats();
            for (int i = 0; i < row0.Length; i++)
                Assert.True(Math.Abs(row0[i] - values[i]) <= 1e-6 * Math.Max(1, Math.Abs(row0[i])), $"{name} {t.Name}[{i}]: {values[i]}, gguf-py {row0[i]}");
            double sum = values.Sum(x => (double)x), absSum = values.Sum(x => Math.Abs((double)x));
            Assert.True(Math.Abs(sum - want.GetProperty("sum").GetDouble()) <= 1e-6 * absSum, $"{name} {t.Name}: sum {sum}, gguf-py {want.GetProperty("sum").GetDouble()}");
            Assert.True(Math.Abs(absSum - want.GetProperty("abs_sum").GetDouble()) <= 1e-6 * absSum, $"{name} {t.Name}: Σ|w| {absSum}");
        }
    }

    /// <summary>A session's LoRA adapter on a GGUF quantised base: the fused decode (the GGUF block matvec plus
    /// the LowRank term) gives the unfused path's logits (exact products on the dequantised weights plus the adapter)
    /// within the decode's own rounding, and the adapter moves the logits well beyond that.</summary>
    [Theory]
    [InlineData("qwen2-small-q4_0")]
    [InlineData("llama-small-q4_k_m")]
    [InlineData("qwen3-small-q5_k_m")]
    [InlineData("qwen2-odd-q4_k_m")]
    [InlineData("qwen3-odd-q5_k_m")]
    public void Fused_decode_with_an_adapter_on_quantised_weights_matches_the_unfused_path(string name)
    {
        using var model = DecoderModel.Load(PathOf(name));
        var adapters = AdapterSetTests.RandomAdapters(model, 7);
        int[] prompt = Expected(name).GetProperty("prompt_ids").Ints();
        var fused = model.CreateSession(capacity: 128, adapters: adapters);
        var plain = model.CreateSession(capacity: 128, adapters: adapters);
        var bare = model.CreateSession(capacity: 128);
        fused.Forward(prompt);
        bare.Forward(prompt);
        int next = DecoderGoldenTests.ArgMax(plain.Forward(prompt).ToArray());
        double tolerance = Math.Max(ExactTolerance, 2 * QuantisedRunGap(name)), moved = 0;
        try
        {
            for (int step = 0; step < 6; step++)
            {
                model.FusedDecode = false;
                var expected = plain.Forward([next]).ToArray();
                model.FusedDecode = true;
                AssertRowClose(name, $"adapter, decode step {step}", expected, fused.Forward([next]), tolerance);
                var without = bare.Forward([next]).ToArray();
                moved = Math.Max(moved, expected.Zip(without, (a, b) => Math.Abs((double)a - b)).Max() / expected.Max(x => Math.Abs((double)x)));
                next = DecoderGoldenTests.ArgMax(expected);
            }
        }
        finally { model.FusedDecode = true; }
        Assert.True(moved > 10 * tolerance, $"{name}: the adapter moved the logits by only {moved:G4} of max |logit| (tolerance {tolerance:G4})");
    }

    /// <summary>Quantised matrices point into the memory-mapped file (nothing copied) and refuse use once the model,
    /// which owns the mapping, is disposed; LLaMA's permuted q/k rows and widened formats are private copies.</summary>
    [Fact]
    public void Quantised_matrices_are_read_in_place_from_the_mapped_file_until_the_model_is_disposed()
    {
        var model = DecoderModel.Load(PathOf("qwen2-odd-q4_k_m"));
        var q = model.Layers[0].QProj.Weight;
        Assert.Equal(WeightFormat.Q5_0, q.Format);
        Assert.True(q.IsMapped);
        var row = new float[q.Cols];
        q.ReadRow(3, row);
        Assert.Contains(row, v => v != 0);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => q.ReadRow(3, row));

        using var llama = DecoderModel.Load(PathOf("llama-small-q4_k_m"));
        Assert.False(llama.Layers[0].QProj.Weight.IsMapped);   // rows un-permuted into a private copy
        Assert.True(llama.Layers[0].UpProj.Weight.IsMapped);
        using var widened = DecoderModel.Load(PathOf("qwen2-odd-q4_k_m"), WeightFormat.F32);
        Assert.False(widened.Layers[0].QProj.Weight.IsMapped);
    }

    private static void AssertRowClose(string name, string where, float[] expected, ReadOnlySpan<float> actual, double tolerance)
    {
        double scale = expected.Max(x => Math.Abs((double)x)), worst = 0;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (d > worst) (worst, at) = (d, i);
        }
        Assert.True(worst <= tolerance * scale, $"{name} {where}: |Δlogit| {worst:G4} at id {at} (llama.cpp {expected[at]}, RagTune {actual[at]}), "
            + $"allowed {tolerance * scale:G4} ({tolerance} × max |logit| {scale:G4})");
    }
}
