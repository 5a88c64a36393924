// Files built to break a loader: nesting deep enough to overflow a recursive walk (HTML, DOCX, Markdown, JSON, YAML front
// matter) and a .docx zip bomb. Each loads or fails with a message naming the file; none may end the process.
using System.Text;
using RagTune.Knowledge.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class HostileDocumentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<DocumentLoadResult> LoadOneAsync(IDocumentLoader loader, string name, byte[] bytes, DocumentLoadOptions? options = null)
    {
        // Through DocumentReader, as kb add loads files: a loader's exception becomes a failed result naming the file.
        using var folder = new TempFolder();
        var path = folder.Write(name, bytes);
        var registry = new DocumentLoaderRegistry().Register(loader);
        var results = await new DocumentReader(registry).LoadFileAsync(path, name, new DocumentReaderOptions { Load = options ?? new() }, Ct);
        return Assert.Single(results);
    }

    [Fact]
    public async Task Forty_thousand_nested_divs_fail_by_name_before_parsing()
    {
        // Parsing costs the square of the depth (the tree builder scans the open elements per tag): refused up front.
        var result = await LoadOneAsync(new HtmlLoader(), "deep.html", Encoding.UTF8.GetBytes(HostileFiles.DeepHtml()));
        Assert.False(result.Succeeded);
        Assert.Contains("'deep.html'", result.Error);
        Assert.Contains("nest more than 1000 levels deep", result.Error);
    }

    [Fact]
    public async Task Nesting_under_the_limit_loads_and_unclosed_paragraphs_do_not_count_as_depth()
    {
        var html = string.Concat(Enumerable.Repeat("<p>unclosed <li>item ", 5_000)) + HostileFiles.DeepHtml(900);
        var result = await LoadOneAsync(new HtmlLoader(), "deep.html", Encoding.UTF8.GetBytes(html));
        Assert.True(result.Succeeded, result.Error);
        Assert.EndsWith("t", result.Document!.Text);
    }

    [Fact]
    public async Task Deeply_nested_tables_render_without_recursing_per_level()
    {
        const int depth = 500;
        var html = string.Concat(Enumerable.Repeat("<table><tr><td>", depth)) + "cell" + string.Concat(Enumerable.Repeat("</td></tr></table>", depth));
        var result = await LoadOneAsync(new HtmlLoader(), "tables.html", Encoding.UTF8.GetBytes(html));
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("cell", result.Document!.Text.Trim());
    }

    [Fact]
    public async Task Fifty_thousand_nested_content_controls_in_a_docx_load_as_their_text()
    {
        var bytes = HostileFiles.DeepDocx();
        Assert.InRange(bytes.Length, 1, 20_000);
        var result = await LoadOneAsync(new DocxLoader(), "deep.docx", bytes);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("deep", result.Document!.Text);
    }

    [Fact]
    public async Task Deeply_nested_markdown_quotes_and_lists_load_or_fail_by_name()
    {
        foreach (var (name, markdown) in new[]
                 {
                     ("quotes.md", string.Concat(Enumerable.Repeat("> ", 40_000)) + "t\n"),
                     ("lists.md", string.Concat(Enumerable.Range(0, 1_500).Select(i => new string(' ', 2 * i) + "- item\n"))),
                     ("emphasis.md", string.Concat(Enumerable.Repeat("*a ", 40_000)) + "t" + string.Concat(Enumerable.Repeat(" a*", 40_000)) + "\n"),
                     ("links.md", string.Concat(Enumerable.Repeat("[", 40_000)) + "t" + string.Concat(Enumerable.Repeat("](u)", 40_000)) + "\n"),
                     ("html.md", "<div>\n" + HostileFiles.DeepHtml() + "\n</div>\n"),
                     ("yaml.md", "---\nkey: " + new string('[', 40_000) + new string(']', 40_000) + "\n---\n\ntext\n"),
                 })
        {
            var result = await LoadOneAsync(new MarkdownLoader(), name, Encoding.UTF8.GetBytes(markdown));
            if (!result.Succeeded) Assert.Contains($"'{name}'", result.Error);
        }
    }

    [Fact]
    public async Task Deeply_nested_json_fails_by_name()
    {
        var json = "{\"text\": \"t\", \"x\": " + new string('[', 40_000) + new string(']', 40_000) + "}";
        var result = await LoadOneAsync(new JsonLoader(), "deep.json", Encoding.UTF8.GetBytes(json));
        Assert.False(result.Succeeded);
        Assert.Contains("'deep.json'", result.Error);
    }

    [Fact]
    public async Task A_docx_zip_bomb_stops_at_the_document_length_cap_with_its_name_and_the_cap()
    {
        var bytes = HostileFiles.BombDocx(2_000_000);
        Assert.InRange(bytes.Length, 1, 200_000);
        var result = await LoadOneAsync(new DocxLoader(), "bomb.docx", bytes, new DocumentLoadOptions { MaxDocumentChars = 100_000 });
        Assert.False(result.Succeeded);
        Assert.Contains("'bomb.docx'", result.Error);
        Assert.Contains("longer than 100000 characters", result.Error);
        Assert.Contains("--max-document-chars", result.Error);
    }

    [Fact]
    public async Task A_docx_zip_bomb_stops_at_the_decompressed_size_cap_with_its_name_and_the_cap()
    {
        var result = await LoadOneAsync(new DocxLoader(), "bomb.docx", HostileFiles.BombDocx(2_000_000), new DocumentLoadOptions { MaxDecompressedBytes = 1_000_000 });
        Assert.False(result.Succeeded);
        Assert.Contains("'bomb.docx'", result.Error);
        Assert.Contains("decompresses to more than 1000000 bytes", result.Error);
    }

    [Fact]
    public async Task The_document_length_cap_applies_to_every_format()
    {
        var options = new DocumentLoadOptions { MaxDocumentChars = 1_000 };
        var text = string.Join(' ', Enumerable.Repeat("word", 1_000));
        foreach (var (loader, name, content) in new (IDocumentLoader, string, string)[]
                 {
                     (new PlainTextLoader(), "long.txt", text),
                     (new MarkdownLoader(), "long.md", text),
                     (new HtmlLoader(), "long.html", $"<p>{text}</p>"),
                     (new JsonLoader(), "long.jsonl", $"{{\"text\": \"{text}\"}}"),
                 })
        {
            var result = await LoadOneAsync(loader, name, Encoding.UTF8.GetBytes(content), options);
            Assert.False(result.Succeeded, name);
            Assert.Contains("longer than 1000 characters", result.Error);
        }
    }

    [Fact]
    public async Task A_docx_under_the_caps_still_loads()
    {
        var result = await LoadOneAsync(new DocxLoader(), "fine.docx", HostileFiles.BombDocx(10_000));
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(10_000 + 2 * 99, result.Document!.Text.Length);
    }
}
