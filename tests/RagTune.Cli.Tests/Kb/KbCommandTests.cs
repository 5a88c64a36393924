// `ragtune kb` end to end, in-process: create → add (with a bad file) → search/stats/export/remove, incremental re-add,
// the dense route through an OpenAI-compatible server, and one-line errors for bad input.
using System.Text.Json;
using RagTune.Engine.Tests.Tensors;
using RagTune.Knowledge.Tests.Embeddings;
using Xunit;

namespace RagTune.Cli.Tests.Kb;

public sealed class KbCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public KbCommandTests()
    {
        Directory.CreateDirectory(Docs);
        File.WriteAllText(Path.Combine(Docs, "bread.txt"), "A sourdough starter is flour and water fermented by wild yeast. Feed the starter daily.");
        Directory.CreateDirectory(Path.Combine(Docs, "zh"));
        File.WriteAllText(Path.Combine(Docs, "zh", "kb.md"), "# 知识库\n\n知识库把文档切成块，并为每个块建立索引。\n\n## 中文分词\n\n中文没有空格，所以检索前要分词。\n");
        File.WriteAllBytes(Path.Combine(Docs, "broken.txt"), [0x00, 0x01, 0x02, 0x00]);
    }

    public void Dispose() => _temp.Dispose();

    private string Docs => _temp.File("docs");
    private string KbDir => _temp.File("kb");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<CliResult> Run(params string[] args) => CliHarness.RunAsync(args, null, Ct);

    private async Task CreateAsync(params string[] extra)
    {
        var created = await Run(["kb", "create", KbDir, "--levels", "60,20", "--overlap", "4", "--chinese", "bigram", .. extra]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Contains("chinese: bigram", created.Stdout);
    }

    [Fact]
    public async Task CreateAddSearchStatsExportRemove()
    {
        await CreateAsync();
        var added = await Run("kb", "add", KbDir, Docs);
        // The batch completed: a bad file is listed with its reason but does not fail the command.
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Matches(@"added\s+│\s+2", added.Stdout);
        Assert.Matches(@"failed\s+│\s+1", added.Stdout);
        Assert.Contains("broken.txt", added.Stdout);
        Assert.Contains("binary file", added.Stdout);
        Assert.Contains("[3/3]", added.Stderr);

        var search = await Run("kb", "search", KbDir, "sourdough starter", "-k", "3");
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Contains("bread.txt", search.Stdout);
        Assert.Contains("**starter**", search.Stdout);
        Assert.Contains("**sourdough**", search.Stdout);

        var chinese = await Run("kb", "search", KbDir, "分词", "--json");
        var first = JsonDocument.Parse(chinese.Stdout.Split('\n')[0]).RootElement;
        Assert.Equal("zh/kb.md", first.GetProperty("document_id").GetString());
        Assert.Equal(["知识库", "中文分词"], first.GetProperty("heading_path").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("分词", first.GetProperty("matched_terms").EnumerateArray().Select(e => e.GetString()));

        var stats = await Run("kb", "stats", KbDir);
        Assert.True(stats.ExitCode == 0, stats.Stderr);
        Assert.Matches(@"documents\s+│\s+2", stats.Stdout);
        Assert.Contains("(≤20 tokens, indexed)", stats.Stdout);

        string export = _temp.File("chunks.jsonl");
        var exported = await Run("kb", "export", KbDir, export);
        Assert.True(exported.ExitCode == 0, exported.Stderr);
        var lines = File.ReadAllLines(export);
        Assert.Contains($"exported {lines.Length} chunks", exported.Stdout);
        Assert.All(lines, l => Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(l).RootElement.GetProperty("text").GetString())));

        var removed = await Run("kb", "remove", KbDir, "bread.txt");
        Assert.Equal(0, removed.ExitCode);
        var after = await Run("kb", "search", KbDir, "sourdough starter", "--json");
        Assert.DoesNotContain("bread.txt", after.Stdout);
        var again = await Run("kb", "remove", KbDir, "bread.txt");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("ragtune: error: document 'bread.txt' is not in the knowledge base; expected an id as 'ragtune kb search' or 'kb export' shows it", Assert.Single(again.ErrorLines));
    }

    [Fact]
    public async Task ReAddIndexesOnlyChangesAndStrictFailsOnBadFiles()
    {
        await CreateAsync();
        Assert.Equal(0, (await Run("kb", "add", KbDir, Docs)).ExitCode);
        File.WriteAllText(Path.Combine(Docs, "bread.txt"), "Rye bread needs a longer proof than wheat bread.");
        var second = await Run("kb", "add", KbDir, Docs, "--strict");
        Assert.Equal(2, second.ExitCode);
        Assert.Matches(@"updated\s+│\s+1", second.Stdout);
        Assert.Matches(@"unchanged\s+│\s+1", second.Stdout);
        Assert.Matches(@"documents indexed\s+│\s+1", second.Stdout);
        var rye = await Run("kb", "search", KbDir, "rye proof", "--json", "--filter", "source^=bread");
        Assert.Equal("bread.txt", JsonDocument.Parse(rye.Stdout.Split('\n')[0]).RootElement.GetProperty("document_id").GetString());
        var filtered = await Run("kb", "search", KbDir, "rye proof", "--json", "--filter", "source=zh/kb.md");
        Assert.DoesNotContain("bread.txt", filtered.Stdout);
    }

    [Fact]
    public async Task DenseRouteGoesThroughTheOpenAICompatibleServer()
    {
        await using var server = await FakeEmbeddingsServer.StartAsync();
        await CreateAsync("--embedding-endpoint", server.Endpoint.ToString(), "--embedding-model", "fake-embed");
        var added = await Run("kb", "add", KbDir, Docs);
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.DoesNotMatch(@"chunks embedded\s+│\s+0\s", added.Stdout);
        var embedded = server.Requests.SelectMany(r => r.Body["input"]!.AsArray().Select(n => n!.GetValue<string>())).ToList();
        Assert.Contains("A sourdough starter is flour and water fermented by wild yeast.", embedded);
        Assert.All(server.Requests, r => Assert.Equal("fake-embed", r.Body["model"]!.GetValue<string>()));

        var dense = await Run("kb", "search", KbDir, "starter", "--routes", "dense", "--json");
        Assert.True(dense.ExitCode == 0, dense.Stderr);
        Assert.All(dense.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => Assert.Equal("dense", JsonDocument.Parse(l).RootElement.GetProperty("route").GetString()));
        var hybrid = await Run("kb", "search", KbDir, "sourdough starter", "--json");
        Assert.Equal("bm25+dense", JsonDocument.Parse(hybrid.Stdout.Split('\n')[0]).RootElement.GetProperty("route").GetString());
        var stats = await Run("kb", "stats", KbDir);
        Assert.Matches(@"vectors \(openai, exact\)\s+│\s+\d+ × 8", stats.Stdout);
    }

    [Fact]
    public async Task JsonRecordsUseTheChosenFieldsAndGlobsSelectFiles()
    {
        var created = await Run("kb", "create", KbDir, "--levels", "60,20", "--chinese", "bigram", "--text-field", "body.text",
            "--title-field", "name", "--include", "**/*.jsonl");
        Assert.True(created.ExitCode == 0, created.Stderr);
        File.WriteAllText(Path.Combine(Docs, "faq.jsonl"),
            "{\"name\": \"Returns\", \"body\": {\"text\": \"Goods can be returned within thirty days.\"}}\n"
            + "{\"name\": \"Shipping\", \"body\": {\"text\": \"Parcels ship within two working days.\"}}\n");
        var added = await Run("kb", "add", KbDir, Docs);
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Matches(@"documents indexed\s+│\s+2", added.Stdout);
        Assert.Matches(@"skipped\s+│\s+3", added.Stdout);  // bread.txt, broken.txt and zh/kb.md: not matched by the include glob
        var hit = JsonDocument.Parse((await Run("kb", "search", KbDir, "parcels ship", "--json")).Stdout.Split('\n')[0]).RootElement;
        Assert.Equal("faq.jsonl#2", hit.GetProperty("document_id").GetString());
        Assert.Equal("Shipping", hit.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("create {other} --index bogus", "--index: 'bogus' is not a choice; expected one of exact, hnsw")]
    [InlineData("create {other} --levels 100,abc", "--levels: 'abc' is not a whole number")]
    [InlineData("create {other} --levels 100,200", "Levels[1] is 200; expected less than the coarser level's 100")]
    [InlineData("create {other} --embedding-endpoint http://localhost:1/v1", "without --embedding-model")]
    [InlineData("search {kb} q --filter =x", "--filter '=x': no key before '='")]
    [InlineData("search {kb} q --routes dense", "route 'dense' asked for, but kb.json's embedding kind is none")]
    [InlineData("add {kb} /nonexistent-ragtune-folder", "cannot add '/nonexistent-ragtune-folder': no such file or folder")]
    public async Task BadInputIsOneErrorLine(string command, string expected)
    {
        await CreateAsync();
        var args = command.Replace("{other}", _temp.File("other")).Replace("{kb}", KbDir).Split(' ');
        var result = await Run(["kb", .. args]);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("ragtune: error: ", line);
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task OpeningAPlainFolderSaysWhatIsMissing()
    {
        var result = await Run("kb", "stats", Docs);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("kb.json not found", Assert.Single(result.ErrorLines));
    }
}
