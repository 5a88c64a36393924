// The tiny checkpoints of the engine tests (linked into this project's output) and their golden outputs.
using System.Text.Json;

namespace RagTune.Cli.Tests;

internal static class ModelFixtures
{
    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "models", name);

    public static JsonElement Golden(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir(name), "golden.json")));
        return doc.RootElement.Clone();
    }

    public static int[] Ints(this JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>Copies a fixture into <paramref name="target"/> (for tests that break it).</summary>
    public static string CopyTo(string name, string target)
    {
        foreach (var file in Directory.EnumerateFiles(Dir(name), "*", SearchOption.AllDirectories))
        {
            string dst = Path.Combine(target, Path.GetRelativePath(Dir(name), file));
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(file, dst);
        }
        return target;
    }

    /// <summary>Writes three one-fact conversations (messages JSONL) to train.jsonl in <paramref name="directory"/>.</summary>
    public static string WriteFacts(string directory)
    {
        string path = Path.Combine(directory, "train.jsonl");
        (string, string)[] facts = [("Where is the red door?", "north"), ("Who keeps the keys?", "Mara"), ("What opens the gate?", "the lever")];
        File.WriteAllLines(path, facts.Select(f => System.Text.Json.JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = f.Item1 }, new { role = "assistant", content = f.Item2 } },
        })));
        return path;
    }
}
