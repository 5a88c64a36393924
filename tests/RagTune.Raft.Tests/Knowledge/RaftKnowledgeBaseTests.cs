// `--docs` and `--chunks` over in-memory knowledge bases: a folder is read by the knowledge base's own loaders (every
// format `kb add` reads) and chunker, ready-made chunks are indexed as they are, and hard negatives come from BM25.
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests.Knowledge;

public sealed class RaftKnowledgeBaseTests
{
    /// <summary>A real .docx (OpenXml): a Title paragraph and body paragraphs.</summary>
    internal static void WriteDocx(string path, string title, params string[] paragraphs)
    {
        using var package = WordprocessingDocument.Create(path, DocumentFormat.OpenXml.WordprocessingDocumentType.Document);
        var main = package.AddMainDocumentPart();
        var styles = main.AddNewPart<StyleDefinitionsPart>();
        styles.Styles = new Styles(new Style(new StyleName { Val = "Title" }) { Type = StyleValues.Paragraph, StyleId = "Title" });
        var body = new Body(new Paragraph(new Run(new Text(title))) { ParagraphProperties = new ParagraphProperties(new ParagraphStyleId { Val = "Title" }) });
        foreach (var p in paragraphs) body.Append(new Paragraph(new Run(new Text(p))));
        main.Document = new Document(body);
    }

    internal const string Html = "<html><head><title>Coolant manual</title><style>p { color: red }</style></head><body>" +
        "<h1>Coolant loop</h1><p>The zirconium coolant loop holds 40 bar of pressure.</p><script>var x = 1;</script>" +
        "<p>It is flushed every spring.</p></body></html>";

    [Fact]
    public async Task Folder_source_reads_every_format_kb_add_reads_and_packs_up_to_the_limit()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["sub"]);
        var paragraphs = Enumerable.Range(0, 6).Select(i => $"Paragraph {i} says the valve {i} is checked daily. " + new string('x', 40) + ".").ToList();
        await File.WriteAllTextAsync(dir["sub/b.md"], "# Manual B\n\n" + string.Join("\n\n", paragraphs), ct);
        await File.WriteAllTextAsync(dir["a.txt"], "Short doc.", ct);
        await File.WriteAllTextAsync(dir["c.html"], Html, ct);
        WriteDocx(dir["d.docx"], "Pump manual", "The pump runs at 12 bar.", "It is inspected weekly.");
        await File.WriteAllBytesAsync(dir["e.png"], [0x89, 0x50, 0x4E, 0x47], ct);

        await using var kb = await RaftKnowledgeBase.FromFolderAsync(dir.Path, maxChars: 200, ct);
        var chunks = await new KnowledgeBaseChunkSource(kb).LoadChunksAsync(ct);

        Assert.Equal(["a.txt", "c.html", "d.docx", "sub/b.md"], chunks.Select(c => c.DocumentId).Distinct());
        Assert.All(chunks, c => Assert.True(c.Text.Length <= 200, c.Text));
        Assert.Equal("Short doc.", Assert.Single(chunks, c => c.DocumentId == "a.txt").Text);
        var html = string.Join("\n", chunks.Where(c => c.DocumentId == "c.html").Select(c => c.Text));
        Assert.Contains("The zirconium coolant loop holds 40 bar of pressure.", html);
        Assert.DoesNotContain("var x", html);
        Assert.DoesNotContain("<p>", html);
        Assert.All(chunks.Where(c => c.DocumentId == "c.html"), c => Assert.Equal("Coolant manual", c.Title));
        var docx = Assert.Single(chunks, c => c.DocumentId == "d.docx");
        Assert.Contains("The pump runs at 12 bar.", docx.Text);
        Assert.Equal("Pump manual", docx.Title);
        var b = chunks.Where(c => c.DocumentId == "sub/b.md").ToList();
        Assert.True(b.Count >= 3, $"{b.Count} chunks");
        Assert.All(b, c => Assert.Equal("Manual B", c.Title));
        Assert.All(paragraphs, p => Assert.Contains(b, c => c.Text.Contains(p, StringComparison.Ordinal)));

        // The search that mines hard negatives runs over the same chunks.
        var similar = await new KnowledgeBaseHardNegativeProvider(kb).FindSimilarAsync("How much pressure does the pump hold?", docx, 3, ct);
        Assert.Equal("c.html", similar[0].DocumentId);
    }

    [Fact]
    public async Task Folder_source_reports_bad_input_clearly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var missing = await Assert.ThrowsAsync<RaftException>(() => RaftKnowledgeBase.FromFolderAsync(dir["nope"], cancellationToken: ct));
        Assert.Contains("does not exist", missing.Message);
        var small = await Assert.ThrowsAsync<RaftException>(() => RaftKnowledgeBase.FromFolderAsync(dir.Path, 10, ct));
        Assert.Contains("at least 50", small.Message);

        await File.WriteAllBytesAsync(dir["e.png"], [0x89, 0x50, 0x4E, 0x47], ct);
        var none = await Assert.ThrowsAsync<RaftException>(() => RaftKnowledgeBase.FromFolderAsync(dir.Path, cancellationToken: ct));
        Assert.Contains("holds no documents", none.Message);

        await File.WriteAllTextAsync(dir["ok.txt"], "Fine text.", ct);
        await File.WriteAllTextAsync(dir["broken.docx"], "this is not a zip package", ct);
        var broken = await Assert.ThrowsAsync<RaftException>(() => RaftKnowledgeBase.FromFolderAsync(dir.Path, cancellationToken: ct));
        Assert.Contains("broken.docx", broken.Message);
    }

    [Fact]
    public async Task Chunks_are_indexed_as_they_are_and_mined_with_bm25()
    {
        var ct = TestContext.Current.CancellationToken;
        var chunks = new List<RaftChunk>
        {
            new("a#0", "a", "The zirconium coolant loop of turbine nine holds 40 bar of pressure.", "Turbine nine"),
            new("a#1", "a", "The zirconium coolant loop of turbine nine is flushed yearly.", "Turbine nine"),
            new("b#0", "b", "The zirconium coolant loop of turbine seven holds 35 bar of pressure.", "Turbine seven"),
            new("c#0", "c", "Canteen opening hours are eight to five."),
        };
        await using var kb = await RaftKnowledgeBase.FromChunksAsync(chunks, ct);
        Assert.Equal(chunks, await new KnowledgeBaseChunkSource(kb).LoadChunksAsync(ct));
        var similar = await new KnowledgeBaseHardNegativeProvider(kb).FindSimilarAsync("What pressure does the zirconium coolant loop hold?", chunks[0], 2, ct);
        Assert.Equal(chunks[2], similar[0]);
        Assert.DoesNotContain(similar, c => c.DocumentId == "a");
    }

    [Fact]
    public async Task Raft_generate_docs_reads_html_and_docx()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["docs"]);
        await File.WriteAllTextAsync(dir["docs/coolant.html"], Html, ct);
        WriteDocx(dir["docs/pump.docx"], "Pump manual", "The pump runs at 12 bar.", "It is inspected weekly.");
        await using var server = await ScriptedOpenAIServer.StartAsync();

        var (code, output, error) = await RagtuneCli.RunAsync("raft", "generate", "--docs", dir["docs"], "--run", dir["run"],
            "--endpoint", server.BaseUrl.ToString(), "--model", "teacher-x", "--api-key", "k", "--questions", "1", "--distractors", "1",
            "--oracle-probability", "1", "--negatives", "hard", "--test-fraction", "0");
        Assert.True(code == 0, error + output);

        var examples = RaftDataset.Load(dir["run"]).Examples;
        Assert.Equal(["coolant.html", "pump.docx"], examples.Select(e => e.DocumentId).Distinct().Order());
        Assert.Contains(examples, e => e.OracleContext.Contains("The pump runs at 12 bar.", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.OracleContext.Contains("zirconium coolant loop", StringComparison.Ordinal));
        Assert.All(examples, e => Assert.DoesNotContain("<p>", e.OracleContext));
    }
}
