// An exported GGUF gives llama.cpp's own logits for our weights: tools/reference/gguf_export_llamacpp.py loaded RagTune's
// f16 / q8_0 / q4_k_m export of each fixture checkpoint in llama.cpp (llama-debug) and recorded the prompt's token ids and
// the last token's logits. Here the same export is read back (every tensor dequantised from the file's own bytes, LLaMA's
// q/k permutation undone) and run through RagTune's forward: llama.cpp must have tokenised the prompt as we do, and its
// logits must match ours within what its kernels add on top of the weights' own quantisation (see Tolerance).
using RagTune.Engine.Export;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Tensors;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Export;

public class GgufLlamaCppLogitsTests
{
    /// <summary>Largest |Δlogit| allowed, relative to the largest |logit|. Both sides compute on the same (already
    /// quantised) weights, so what differs is only llama.cpp's CPU matmul, which rounds the activations as well: to f16 for
    /// f16 weights (2⁻¹¹ relative per value), to Q8_0 (int8 per 32 values) for Q8_0 weights and to Q8_K (int8 per 256
    /// values, a coarser scale) for the K-quants — about 0.5–1 % rms per product, compounded over 2 layers and lm_head.
    /// Measured (2026-12-07, llama.cpp from node-llama-cpp@3.22.1, worst of llama/qwen2/qwen3): f16 1.8e-3, q8_0 1.9e-2,
    /// q4_k_m 3.0e-2; the bounds are about twice that. A wrong tensor name, permutation, RoPE or norm setting moves the
    /// logits by O(1) and the argmax with them.</summary>
    private static double Tolerance(string type) => type switch
    {
        "f16" => 4e-3,
        "q8_0" => 4e-2,
        _ => 6e-2,
    };

    [Theory]
    [MemberData(nameof(ExportFixtureModels.NamesAndTypes), MemberType = typeof(ExportFixtureModels))]
    public async Task Llama_cpp_gives_our_logits_for_the_exported_weights(string name, string type)
    {
        var golden = ExportFixtureModels.Golden(name);
        var reference = golden.GetProperty("llama_cpp").GetProperty(type);
        int[] ids = reference.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        float[] expected = reference.GetProperty("last_logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();

        using var dir = new TempDirectory();
        string model = ExportFixtureModels.Create(name, dir.File("model"));
        Assert.Equal(Tokenizer.Load(model).Encode(golden.GetProperty("prompt").GetString()!), ids);
        var result = await GgufExporter.ExportAsync(new GgufExportOptions
        {
            ModelDirectory = model, Type = GgufExportTypes.Parse(type), OutputPath = dir.File("m.gguf"), WriteModelfile = false,
        }, TestContext.Current.CancellationToken);
        string back = ExportFixtureModels.ToCheckpoint(result.GgufPath, model, dir.File("back"));
        float[] actual;
        using (var decoder = DecoderModel.Load(back))
            actual = decoder.CreateSession(capacity: 64).Forward(ids).ToArray();

        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(MathF.Abs), maxDiff = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(maxDiff <= Tolerance(type) * scale, $"{name} {type}: max |Δlogit| = {maxDiff:G3} (max |logit| {scale:G3}, tolerance {Tolerance(type) * scale:G3})");
        Assert.Equal(Array.IndexOf(expected, expected.Max()), Array.IndexOf(actual, actual.Max()));
    }
}
