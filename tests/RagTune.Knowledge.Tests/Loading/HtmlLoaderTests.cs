// HTML: visible text only, headings as sections, title from <title> or the first h1.
using Xunit;
using System.Text;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class HtmlLoaderTests
{
    private const string Html = """
        <!DOCTYPE html>
        <html lang="zh-CN"><head><title> 产品说明 </title><style>body { color: red; }</style>
        <script>var secret = "SCRIPT";</script><meta name="description" content="About the product"></head>
        <body>
          <nav><a href="/">Home</a> | <a href="/x">NAVLINK</a></nav>
          <h1>Overview</h1>
          <p>First   paragraph
             with <b>bold</b> text.</p>
          <div hidden>HIDDEN-ATTR</div><span style="display: none">HIDDEN-STYLE</span>
          <noscript>NOSCRIPT</noscript><template><p>TEMPLATE</p></template>
          <h2>Details</h2>
          <ul><li>Item one</li><li>Item two</li></ul>
          <table><tr><th>Key</th><th>Value</th></tr><tr><td>k1</td><td>1.2</td></tr></table>
          <pre>line 1
          line 2</pre>
          <p>Line<br>break</p>
          <footer>FOOTER</footer>
        </body></html>
        """;

    [Fact]
    public async Task VisibleTextAndHeadings()
    {
        var doc = (await TestFiles.LoadAsync(new HtmlLoader(), "site/page.html", Encoding.UTF8.GetBytes(Html)))[0].Document!;

        Assert.Equal("产品说明", doc.Title);
        Assert.Equal("zh-CN", doc.Metadata["lang"]);
        Assert.Equal("About the product", doc.Metadata["description"]);
        foreach (var gone in new[] { "SCRIPT", "color", "NAVLINK", "HIDDEN-ATTR", "HIDDEN-STYLE", "NOSCRIPT", "TEMPLATE", "FOOTER" })
            Assert.DoesNotContain(gone, doc.Text);
        Assert.StartsWith("Overview\n\nFirst paragraph with bold text.", doc.Text);
        Assert.Contains("Item one\n\nItem two", doc.Text);
        Assert.Contains("Key\tValue\nk1\t1.2", doc.Text);
        Assert.Contains("line 1\n  line 2", doc.Text);
        Assert.Contains("Line\nbreak", doc.Text);

        Assert.Equal(["Overview", "Details"], doc.Sections.Select(s => s.Title));
        Assert.Equal([1, 2], doc.Sections.Select(s => s.Level));
        foreach (var s in doc.Sections) Assert.Equal(s.Title, doc.Text[s.Start..s.HeadingEnd]);
    }

    [Fact]
    public async Task TitleFromFirstH1WhenThereIsNoTitleElement()
    {
        var doc = (await TestFiles.LoadAsync(new HtmlLoader(), "x.htm", Encoding.UTF8.GetBytes("<p>intro</p><h1>Main <i>Topic</i></h1><p>text</p>")))[0].Document!;
        Assert.Equal("Main Topic", doc.Title);
    }

    [Fact]
    public async Task FooterIsKeptWhenAsked()
    {
        var options = new DocumentLoadOptions { HtmlDropFooter = false };
        var doc = (await TestFiles.LoadAsync(new HtmlLoader(), "x.html", Encoding.UTF8.GetBytes(Html), options))[0].Document!;
        Assert.Contains("FOOTER", doc.Text);
    }
}
