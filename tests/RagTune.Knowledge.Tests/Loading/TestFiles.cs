// Test helpers for loader tests: committed fixtures under TestData (found from this source file's location) and a temp folder.
using Xunit;
using System.Runtime.CompilerServices;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

internal static class TestFiles
{
    /// <summary>Full path of a committed fixture in tests/RagTune.Knowledge.Tests/TestData.</summary>
    public static string Fixture(string name, [CallerFilePath] string caller = "")
    {
        var directory = Path.GetDirectoryName(caller)!;
        while (!Directory.Exists(Path.Combine(directory, "TestData"))) directory = Path.GetDirectoryName(directory)!;
        return Path.Combine(directory, "TestData", name);
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
