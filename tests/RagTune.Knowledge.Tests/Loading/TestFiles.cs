// Test helpers for loader tests: committed fixtures under TestData (found from this source file's location) and a temp folder.
using Xunit;
using System.Runtime.CompilerServices;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

internal static class TestFiles
{
    /// <summary>Full path of a committed fixture in tests/RagTune.Knowledge.Tests/TestData: searched upwards from this source
    /// file (CallerFilePath) and, should a path map have rewritten that, from the test binaries in bin/.</summary>
    public static string Fixture(string name, [CallerFilePath] string caller = "")
    {
        foreach (var start in new[] { Path.GetDirectoryName(caller), AppContext.BaseDirectory })
            for (var directory = start; !string.IsNullOrEmpty(directory); directory = Path.GetDirectoryName(directory))
            {
                var candidate = Path.Combine(directory, "TestData", name);
                if (File.Exists(candidate)) return candidate;
            }
        throw new FileNotFoundException($"test fixture TestData/{name} not found above {caller} or {AppContext.BaseDirectory}");
    }

    public static async Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(IDocumentLoader loader, string relativePath, byte[] bytes,
        DocumentLoadOptions? options = null)
    {
        var source = new DocumentSource("/virtual/" + relativePath, relativePath, bytes);
        return await loader.LoadAsync(source, options ?? new DocumentLoadOptions(), TestContext.Current.CancellationToken);
    }
}

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ragtune-kb-" + Guid.NewGuid().ToString("N")));

    public string Path { get; }

    public string Write(string relativePath, byte[] bytes)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public string Write(string relativePath, string text) => Write(relativePath, System.Text.Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
