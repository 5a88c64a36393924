// Test helpers for the jieba tests: the built-in dictionary, the same dictionary as a file (for the file-path route),
// and fixtures.
using RagTune.Knowledge.Analysis;

namespace RagTune.Knowledge.Tests.Analysis;

internal static class JiebaFixture
{
    private static readonly Lazy<string> ExtractedPath = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "jieba-dict-0.42.1.txt");
        byte[] bytes = JiebaDictionary.ReadEmbeddedBytes();
        if (!File.Exists(path) || new FileInfo(path).Length != bytes.Length) File.WriteAllBytes(path, bytes);
        return path;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The built-in dict.txt written out as a file next to the tests.</summary>
    public static string DictionaryPath => ExtractedPath.Value;

    public static JiebaDictionary Shared => JiebaDictionary.Embedded;

    public static string TestData(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);
}
