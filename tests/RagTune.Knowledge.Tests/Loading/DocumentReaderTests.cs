// Folder loading: every format in one batch, encodings, bad files as per-file errors, globs, hidden files, summary, ids, hashes.
using Xunit;
using System.Text;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class DocumentReaderTests
{
    static DocumentReaderTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    [Fact]
    public async Task MixedBatchWithBadFilesLoadsTheRestAndSummarises()
    {
        using var folder = new TempFolder();
        folder.Write("a.txt", "Plain text.");
        folder.Write("zh/gb.txt", Encoding.GetEncoding("GB18030").GetBytes("简体中文文本。"));
        folder.Write("zh/utf16.txt", new UnicodeEncoding(false, true).GetPreamble().Concat(Encoding.Unicode.GetBytes("UTF-16 文本。")).ToArray());
        folder.Write("notes/readme.md", "# Notes\n\nSome notes.");
        folder.Write("web/index.html", "<html><body><h1>Web</h1><p>Page.</p></body></html>");
        folder.Write("records.jsonl", "{\"text\": \"one\"}\n{\"nope\": 1}\n");
        folder.Write("two-pages.pdf", await File.ReadAllBytesAsync(TestFiles.Fixture("two-pages.pdf"), TestContext.Current.CancellationToken));
        folder.Write("binary.txt", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]);
        folder.Write("broken.docx", "PK not really");
        folder.Write("image.png", [0x89, 0x50, 0x4E, 0x47]);
        folder.Write(".hidden.txt", "secret");
        folder.Write(".git/config.txt", "secret");
        var locked = folder.Write("locked.txt", "cannot be read while locked");
        // Held exclusively: .NET takes an advisory lock, so reading it fails even when the tests run as root (where chmod 000 would not stop it).
        using var lockStream = new FileStream(locked, FileMode.Open, FileAccess.ReadWrite, FileShare.None);

        var reports = new List<DocumentReadProgress>();
        var result = await new DocumentReader().LoadFolderAsync(folder.Path, progress: new SyncProgress(reports.Add),
            cancellationToken: TestContext.Current.CancellationToken);
        var summary = result.Summary;

        Assert.Equal(["a.txt", "notes/readme.md", "records.jsonl#1", "two-pages.pdf", "web/index.html", "zh/gb.txt", "zh/utf16.txt"],
            result.Documents.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Equal("简体中文文本。", result.Documents.Single(d => d.Id == "zh/gb.txt").Text);
        Assert.Equal("UTF-16 文本。", result.Documents.Single(d => d.Id == "zh/utf16.txt").Text);
        Assert.Equal(7, summary.FilesLoaded);
        Assert.Equal(7, summary.DocumentsLoaded);
        Assert.Equal(1, summary.ByExtension[".jsonl"]);
        Assert.Equal(3, summary.ByExtension[".txt"]);

        var failed = summary.Failed.ToDictionary(f => f.Path, f => f.Reason);
        Assert.Equal(["binary.txt", "broken.docx", "locked.txt", "records.jsonl#2"], failed.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("'binary.txt': binary file, not text", failed["binary.txt"]);
        Assert.Contains("'broken.docx': not a valid .docx", failed["broken.docx"]);
        Assert.StartsWith("cannot read 'locked.txt'", failed["locked.txt"]);
        Assert.Contains("line 2: field 'text' is missing", failed["records.jsonl#2"]);

        var skipped = summary.Skipped.ToDictionary(f => f.Path, f => f.Reason);
        Assert.Equal("hidden directory", skipped[".git/"]);
        Assert.Equal("hidden file", skipped[".hidden.txt"]);
        Assert.Equal("no loader for '.png' files", skipped["image.png"]);

        Assert.Equal(10, reports.Count);   // one per selected file
        Assert.Equal(10, reports[^1].FilesDone);
        Assert.Equal(10, reports[^1].FilesTotal);
        Assert.Equal(4, reports[^1].Failed);
        Assert.Contains("7 files loaded (7 documents), 4 failed, 3 skipped", summary.ToString());
        Assert.Contains("failed binary.txt: cannot read 'binary.txt'", summary.ToString());
    }

    [Fact]
    public async Task IdsAreRelativePathsAndHashesAreOfTheBytes()
    {
        using var folder = new TempFolder();
        var bytes = Encoding.UTF8.GetBytes("Same content.");
        folder.Write("x/one.txt", bytes);
        folder.Write("y/two.txt", bytes);
        var result = await new DocumentReader().LoadFolderAsync(folder.Path, cancellationToken: TestContext.Current.CancellationToken);
        var docs = result.Documents.ToList();
        Assert.Equal(["x/one.txt", "y/two.txt"], docs.Select(d => d.Id));
        Assert.Equal("one", docs[0].Title);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), docs[0].ContentHash);
        Assert.Equal(docs[0].ContentHash, docs[1].ContentHash);
        Assert.Equal(Path.Combine(folder.Path, "x", "one.txt"), docs[0].SourcePath);
    }

    [Fact]
    public async Task IncludeExcludeAndHiddenOptions()
    {
        using var folder = new TempFolder();
        folder.Write("docs/a.md", "# A");
        folder.Write("docs/deep/b.md", "# B");
        folder.Write("docs/c.txt", "C");
        folder.Write("drafts/d.md", "# D");
        folder.Write(".private/e.md", "# E");
        var options = new DocumentReaderOptions { Include = ["*.md"], Exclude = ["drafts"], IncludeHidden = true };
        var result = await new DocumentReader().LoadFolderAsync(folder.Path, options, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal([".private/e.md", "docs/a.md", "docs/deep/b.md"], result.Documents.Select(d => d.Id));
        var skipped = result.Summary.Skipped.ToDictionary(f => f.Path, f => f.Reason);
        Assert.Equal("excluded by 'drafts'", skipped["drafts/"]);
        Assert.Equal("not matched by any include pattern", skipped["docs/c.txt"]);
    }

    [Fact]
    public async Task DanglingSymlinkIsAPerFileError()
    {
        using var folder = new TempFolder();
        folder.Write("good.txt", "Fine.");
        File.CreateSymbolicLink(Path.Combine(folder.Path, "gone.txt"), Path.Combine(folder.Path, "missing-target.txt"));
        var result = await new DocumentReader().LoadFolderAsync(folder.Path, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["good.txt"], result.Documents.Select(d => d.Id));
        Assert.StartsWith("cannot read 'gone.txt'", Assert.Single(result.Summary.Failed).Reason);
    }

    [Fact]
    public async Task CancellationStopsTheBatch()
    {
        using var folder = new TempFolder();
        folder.Write("a.txt", "A.");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DocumentReader().LoadFolderAsync(folder.Path, cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task SingleFileUsesItsNameAsId()
    {
        using var folder = new TempFolder();
        var path = folder.Write("sub/note.md", "# Note\n\nText.");
        var result = Assert.Single(await new DocumentReader().LoadFileAsync(path, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("note.md", result.Document!.Id);
        var unknown = Assert.Single(await new DocumentReader().LoadFileAsync(folder.Write("x.xyz", "?"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.StartsWith("cannot read 'x.xyz': no loader for '.xyz' files; expected one of .docx .htm .html", unknown.Error);
    }

    [Fact]
    public async Task MissingFolderThrows()
    {
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => new DocumentReader().LoadFolderAsync("/nonexistent/kb-folder",
            cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("'/nonexistent/kb-folder'", e.Message);
    }

    [Theory]
    [InlineData("*.md", "a.md", true)]
    [InlineData("*.md", "x/y/a.md", true)]
    [InlineData("*.md", "a.mdx", false)]
    [InlineData("docs/*.md", "docs/a.md", true)]
    [InlineData("docs/*.md", "docs/x/a.md", false)]
    [InlineData("docs/**/*.md", "docs/a.md", true)]
    [InlineData("docs/**/*.md", "docs/x/y/a.md", true)]
    [InlineData("**/tmp/**", "a/tmp/b/c.txt", true)]
    [InlineData("*.{md,txt}", "n/a.txt", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    public void GlobPatterns(string pattern, string path, bool expected) => Assert.Equal(expected, new GlobPattern(pattern).IsMatch(path));

    /// <summary>Progress&lt;T&gt; posts to the thread pool; the test needs the reports in order and complete on return.</summary>
    private sealed class SyncProgress(Action<DocumentReadProgress> report) : IProgress<DocumentReadProgress>
    {
        public void Report(DocumentReadProgress value) => report(value);
    }
}
