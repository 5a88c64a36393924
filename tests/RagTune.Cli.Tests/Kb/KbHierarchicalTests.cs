// `kb create --doc-route`, `kb add` building the document route (summaries by the teacher kb.json records, resumed after a
// failure), `kb search --hierarchical --docs N`, and one-line errors for a route asked of a base built without one.
using System.Text.Json;
using RagTune.Engine.Tests.Tensors;
using RagTune.Raft.Tests.Infrastructure;
using Xunit;

namespace RagTune.Cli.Tests.Kb;

public sealed class KbHierarchicalTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public KbHierarchicalTests()
    {
        Directory.CreateDirectory(Path.Combine(Docs, "zh"));
        File.WriteAllText(Path.Combine(Docs, "bread.txt"), "A sourdough starter is flour and water fermented by wild yeast. Feed the starter daily.");
        File.WriteAllText(Path.Combine(Docs, "tea.txt"), "The first tea harvest of spring gives delicate leaves. Feed the kettle fresh water.");
        File.WriteAllText(Path.Combine(Docs, "zh", "kb.md"), "# 知识库\n\n知识库把文档切成块，并为每个块建立索引。\n");
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
    }

    private static List<JsonElement> Json(CliResult result) =>
        result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public async Task AFirstChunkRouteIsBuiltByAddAndKeepsHierarchicalHitsInTheTopDocuments()
    {
        await CreateAsync("--doc-route", "first-chunk");
        using (var kbJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(KbDir, "kb.json"))))
            Assert.Equal("first_chunk", kbJson.RootElement.GetProperty("document_route").GetProperty("kind").GetString());
        var added = await Run("kb", "add", KbDir, Docs);
        Assert.True(added.ExitCode == 0, added.Stderr);

        // "Feed … water" is in two documents: flat search finds both, one document first keeps the better one.
        var flat = Json(await Run("kb", "search", KbDir, "feed water sourdough", "-k", "5", "--json"));
        Assert.Equal(["bread.txt", "tea.txt"], flat.Select(r => r.GetProperty("document_id").GetString()).Distinct().Order());
        var search = await Run("kb", "search", KbDir, "feed water sourdough", "--hierarchical", "--docs", "1", "-k", "5", "--json");
        Assert.True(search.ExitCode == 0, search.Stderr);
        var hits = Json(search);
        Assert.NotEmpty(hits);
        Assert.All(hits, r => Assert.Equal("bread.txt", r.GetProperty("document_id").GetString()));

        var stats = await Run("kb", "stats", KbDir);
        Assert.Matches(@"document route \(first-chunk\) documents / vectors\s+│\s+3 / 0", stats.Stdout);
    }

    [Fact]
    public async Task SummariesComeFromTheRecordedTeacherAndAFailedAddResumesWithoutAskingAgain()
    {
        await using var teacher = await ScriptedOpenAIServer.StartAsync(r => ScriptedReply.Error(400));
        teacher.Enqueue(ScriptedReply.Text("A note on sourdough bread and its starter."));
        await CreateAsync("--doc-route", "summary", "--summary-model", "teacher-7b", "--summary-endpoint", teacher.BaseUrl.ToString());

        // The teacher answers the first document and refuses the second: the add fails, the first summary is kept.
        var failed = await Run("kb", "add", KbDir, Docs, "--commit-seconds", "3600");
        Assert.Equal(1, failed.ExitCode);
        Assert.Single(File.ReadAllLines(Path.Combine(KbDir, "summaries.jsonl")));
        int asked = teacher.Requests.Count;
        Assert.Equal("teacher-7b", teacher.Requests[0].Model);
        Assert.Contains("sourdough starter", teacher.Requests[0].User);

        teacher.Fallback = r => ScriptedReply.Text("Summary: " + r.User[..Math.Min(40, r.User.Length)]);
        var resumed = await Run("kb", "add", KbDir, Docs);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Matches(@"summaries written / reused\s+│\s+2 / 1", resumed.Stdout);
        Assert.Equal(2, teacher.Requests.Count - asked);
        Assert.DoesNotContain(teacher.Requests.Skip(asked), r => r.User.Contains("sourdough", StringComparison.Ordinal));

        var hits = Json(await Run("kb", "search", KbDir, "sourdough bread", "--hierarchical", "--docs", "1", "--json"));
        Assert.All(hits, r => Assert.Equal("bread.txt", r.GetProperty("document_id").GetString()));
        Assert.NotEmpty(hits);
    }

    [Theory]
    [InlineData("search {kb} q --hierarchical", "has no 'document_route' field")]
    [InlineData("search {kb} q --docs 5", "--docs was given without --hierarchical")]
    [InlineData("search {kb} q --hierarchical --docs 0", "--docs is 0; expected at least 1")]
    [InlineData("create {other} --doc-route bogus", "--doc-route: 'bogus' is not a choice; expected one of first-chunk, summary, mean")]
    [InlineData("create {other} --doc-route 1", "--doc-route: '1' is not a choice")]
    [InlineData("create {other} --doc-route summary", "--doc-route summary needs --summary-model")]
    [InlineData("create {other} --doc-route mean", "document_route.kind is mean, but embedding.kind is none")]
    [InlineData("create {other} --summary-model m", "without --doc-route summary")]
    public async Task BadInputIsOneErrorLine(string command, string expected)
    {
        await CreateAsync();
        var args = command.Replace("{other}", _temp.File("other")).Replace("{kb}", KbDir).Split(' ');
        var result = await Run(["kb", .. args]);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("ragtune: error: ", line);
        Assert.Contains(expected, line);
        if (expected.Contains("document_route", StringComparison.Ordinal) && args[0] == "search")
            Assert.Contains(Path.Combine(KbDir, "kb.json"), line);
    }
}
