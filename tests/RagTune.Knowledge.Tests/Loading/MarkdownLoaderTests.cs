// Markdown: headings as sections from the AST, front matter skipped (title + metadata), code kept, markup removed.
using Xunit;
using System.Text;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class MarkdownLoaderTests
{
    private const string Markdown = """
        ---
        title: 用户手册
        author: Ops Team
        tags: [a, b]
        ---
        # Introduction

        RagTune turns **documents** into a [domain expert](https://example.com).

        ## Install

        Run this:

        ```bash
        dotnet tool install ragtune
          --verbose
        ```

        | Name | Value |
        |------|-------|
        | k1   | 1.2   |

        # 第二章

        中文段落。
        """;

    [Fact]
    public async Task HeadingsFrontMatterAndCode()
    {
        var results = await TestFiles.LoadAsync(new MarkdownLoader(), "docs/guide.md", Encoding.UTF8.GetBytes(Markdown));
        var doc = Assert.Single(results).Document!;

        Assert.Equal("用户手册", doc.Title);
        Assert.Equal("Ops Team", doc.Metadata["author"]);
        Assert.False(doc.Metadata.ContainsKey("tags"));
        Assert.DoesNotContain("---", doc.Text);
        Assert.DoesNotContain("**", doc.Text);
        Assert.DoesNotContain("https://", doc.Text);
        Assert.Contains("RagTune turns documents into a domain expert.", doc.Text);
        Assert.Contains("dotnet tool install ragtune\n  --verbose", doc.Text);
        Assert.Contains("Name\tValue\nk1\t1.2", doc.Text);

        Assert.Equal(["Introduction", "Install", "第二章"], doc.Sections.Select(s => s.Title));
        Assert.Equal([1, 2, 1], doc.Sections.Select(s => s.Level));
        foreach (var s in doc.Sections) Assert.Equal(s.Title, doc.Text[s.Start..s.HeadingEnd]);
        // "Introduction" ends where "第二章" starts; "Install" (level 2) also ends there.
        Assert.Equal(doc.Sections[2].Start, doc.Sections[0].End);
        Assert.Equal(doc.Sections[2].Start, doc.Sections[1].End);
        Assert.Equal(doc.Text.Length, doc.Sections[2].End);
        Assert.Equal(["Introduction", "Install"], doc.HeadingPathAt(doc.Text.IndexOf("dotnet", StringComparison.Ordinal)));
        Assert.Equal("docs/guide.md", doc.Id);
    }

    [Fact]
    public async Task TitleFallsBackToTheFirstH1ThenTheFileName()
    {
        var h1 = await TestFiles.LoadAsync(new MarkdownLoader(), "a.md", Encoding.UTF8.GetBytes("Intro text.\n\n# Real Title\n\nBody."));
        Assert.Equal("Real Title", h1[0].Document!.Title);
        var none = await TestFiles.LoadAsync(new MarkdownLoader(), "notes/readme.md", Encoding.UTF8.GetBytes("Just text."));
        Assert.Equal("readme", none[0].Document!.Title);
    }

    [Fact]
    public async Task RawHtmlBlocksKeepTheirVisibleText()
    {
        const string md = "<div align=\"center\">\n<h1>Project</h1>\n<p>Tagline <b>here</b>.</p><script>x()</script>\n</div>\n\nBody.";
        var doc = (await TestFiles.LoadAsync(new MarkdownLoader(), "README.md", Encoding.UTF8.GetBytes(md)))[0].Document!;
        Assert.Equal("Project\n\nTagline here.\n\nBody.", doc.Text);
        Assert.Equal("Project", doc.Title);
        Assert.Equal("Project", Assert.Single(doc.Sections).Title);
    }
}
