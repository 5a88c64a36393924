// RagTune's quantisers against llama-quantize itself: tools/reference/gguf_export_llamacpp.py exported each fixture
// checkpoint as f32 with RagTune, quantised that file with llama.cpp's llama-quantize (Q4_K_M, Q8_0, F16) and recorded
// every tensor's ggml type and the SHA-256 of its bytes. Exporting the same weights here must give the same types and
// the same bytes, tensor by tensor — the Q4_K_M mixture, its fallbacks and the block encoders included.
using System.Security.Cryptography;
using System.Text.Json;
using RagTune.Engine.Export;
using RagTune.Engine.Formats;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Export;

public class GgufQuantizeFixtureTests
{
    private static async Task<Dictionary<string, (string Type, string Sha256)>> ExportHashes(string name, GgufExportType type, TempDirectory dir)
    {
        string model = ExportFixtureModels.Create(name, dir.File("model"));
        var result = await GgufExporter.ExportAsync(new GgufExportOptions
        {
            ModelDirectory = model, Type = type, OutputPath = dir.File("out.gguf"), WriteModelfile = false,
        }, TestContext.Current.CancellationToken);
        return ExportFixtureModels.ReadTensors(result.GgufPath).ToDictionary(
            p => p.Key, p => (((GgmlType)p.Value.Info.GgmlType).ToString(), Convert.ToHexStringLower(SHA256.HashData(p.Value.Data))));
    }

    private static Dictionary<string, (string Type, string Sha256)> Expected(JsonElement tensors) =>
        tensors.EnumerateObject().ToDictionary(p => p.Name, p => (p.Value.GetProperty("type").GetString()!, p.Value.GetProperty("sha256").GetString()!));

    private static void AssertSame(Dictionary<string, (string Type, string Sha256)> expected, Dictionary<string, (string Type, string Sha256)> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        var typeDiffs = expected.Where(p => p.Value.Type != actual[p.Key].Type).Select(p => $"{p.Key}: {actual[p.Key].Type}, llama.cpp {p.Value.Type}").ToList();
        Assert.True(typeDiffs.Count == 0, $"{what}: types differ: {string.Join("; ", typeDiffs)}");
        var byteDiffs = expected.Where(p => p.Value.Sha256 != actual[p.Key].Sha256).Select(p => $"{p.Key} ({p.Value.Type})").ToList();
        Assert.True(byteDiffs.Count == 0, $"{what}: bytes differ in {byteDiffs.Count} of {expected.Count} tensors: {string.Join(", ", byteDiffs)}");
    }

    [Theory]
    [MemberData(nameof(ExportFixtureModels.GoldenNamesData), MemberType = typeof(ExportFixtureModels))]
    public async Task The_f32_export_is_the_input_llama_quantize_was_given(string name)
    {
        using var dir = new TempDirectory();
        // The same weights (SplitMix64 in Python and here), renamed and permuted the same way as when the golden file was made.
        AssertSame(Expected(ExportFixtureModels.Golden(name).GetProperty("input_f32")), await ExportHashes(name, GgufExportType.F32, dir), name + " f32");
    }

    [Theory]
    [MemberData(nameof(ExportFixtureModels.NamesAndTypes), MemberType = typeof(ExportFixtureModels))]
    public async Task Every_tensor_has_llama_quantize_s_type_and_bytes(string name, string type)
    {
        using var dir = new TempDirectory();
        var expected = Expected(ExportFixtureModels.Golden(name).GetProperty("llama_quantize").GetProperty(type));
        AssertSame(expected, await ExportHashes(name, GgufExportTypes.Parse(type), dir), $"{name} {type}");
    }
}
