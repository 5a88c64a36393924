// Locates the tiny checkpoints and golden outputs written by tools/reference/make_tiny_models.py.
using System.Text.Json;

namespace RagTune.Engine.Tests.Models;

internal static class Fixtures
{
    public static readonly string[] Decoders = ["qwen2-tiny", "qwen3-tiny", "qwen3-tiny-bf16", "llama-tiny", "llama-linear-tiny", "internlm2-tiny", "gpt2-tiny"];
    /// <summary>xlmr-unigram-cls is bge-m3-shaped: a SentencePiece Unigram tokenizer (tools/reference/make_xlmr_unigram_models.py).</summary>
    public static readonly string[] Encoders = ["bert-tiny-cls", "bert-tiny-mean", "xlmr-tiny-mean", "xlmr-unigram-cls"];

    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "models", name);

    public static JsonElement Golden(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir(name), "golden.json")));
        return doc.RootElement.Clone();
    }

    public static int[] Ints(this JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static float[] Floats(this JsonElement e) => e.EnumerateArray().Select(x => x.GetSingle()).ToArray();

    /// <summary>A copy of a fixture in a fresh temporary directory whose config.json <paramref name="edit"/> has changed.</summary>
    public static string CopyToTempWithConfig(string name, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        string dir = CopyToTemp(name);
        string path = Path.Combine(dir, "config.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        return dir;
    }

    /// <summary>A copy of a fixture in a fresh temporary directory, for tests that corrupt files.</summary>
    public static string CopyToTemp(string name)
    {
        string dst = Path.Combine(Path.GetTempPath(), "ragtune-test-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Dir(name), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(dst, Path.GetRelativePath(Dir(name), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return dst;
    }
}
