// `ragtune kb create --reranker DIR` records a local reranker in kb.json; `kb search QUERY --rerank` reorders the fused
// hits with it (or with a folder or an LLM judge given on the spot), and bad reranker folders fail at create by name.
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Cli.Tests.Kb;

public sealed class KbRerankTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public KbRerankTests()
    {
        Directory.CreateDirectory(Docs);
        File.WriteAllText(Path.Combine(Docs, "bread.txt"), "A sourdough starter is flour and water fermented by wild yeast. Feed the starter daily.");
        File.WriteAllText(Path.Combine(Docs, "pump.md"), "# Pumps\n\nThe coolant pump holds forty bar of pressure.\n\nThe seals of the pump are replaced every spring.");
        File.WriteAllText(Path.Combine(Docs, "tea.md"), "# Tea\n\nThe first tea harvest of spring gives the most delicate leaves.\n\nThe tea is steamed soon after picking.");
    }

    public void Dispose() => _temp.Dispose();

    private string Docs => _temp.File("docs");
    private string KbDir => _temp.File("kb");
    private static string Reranker => ModelFixtures.Dir("bert-tiny-reranker");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<CliResult> Run(params string[] args) => CliHarness.RunAsync(args, null, Ct);

    private static List<JsonElement> Lines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private async Task CreateAndAddAsync(params string[] extra)
    {
        var created = await Run(["kb", "create", KbDir, "--levels", "12", "--overlap", "0", "--chinese", "bigram", .. extra]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var added = await Run("kb", "add", KbDir, Docs);
        Assert.True(added.ExitCode == 0, added.Stderr);
    }

    [Theory]
    [InlineData("bert-tiny-reranker")]
    [InlineData("xlmr-unigram-reranker")] // bge-reranker-shaped: XLM-R with a SentencePiece Unigram tokenizer
    public async Task The_recorded_reranker_orders_search_by_its_scores(string fixture)
    {
        string reranker = ModelFixtures.Dir(fixture);
        await CreateAndAddAsync("--reranker", reranker);
        var kbJson = JsonNode.Parse(File.ReadAllText(Path.Combine(KbDir, "kb.json")))!;
        Assert.Equal(reranker, kbJson["reranker"]!["model_directory"]!.GetValue<string>());

        const string query = "the spring";
        var plain = await Run("kb", "search", KbDir, query, "-k", "6", "--json");
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        var reranked = await Run("kb", "search", KbDir, query, "-k", "6", "--json", "--rerank");
        Assert.True(reranked.ExitCode == 0, reranked.Stderr);

        var before = Lines(plain.Stdout);
        var after = Lines(reranked.Stdout);
        Assert.Equal(before.Select(Id).Order(), after.Select(Id).Order());
        using var model = BertCrossEncoder.Load(reranker);
        var expected = before.Select(r => (Id: Id(r), Score: (double)model.Score(query, r.GetProperty("text").GetString()!)))
            .OrderByDescending(x => x.Score).ToList();
        Assert.Equal(expected.Select(x => x.Id), after.Select(Id));
        Assert.Equal(expected.Select(x => x.Score), after.Select(r => r.GetProperty("score").GetDouble()));
        Assert.NotEqual(before.Select(Id), after.Select(Id));
    }

    [Fact]
    public async Task A_reranker_folder_given_to_search_serves_a_base_without_one()
    {
        await CreateAndAddAsync();
        var none = await Run("kb", "search", KbDir, "the spring", "--rerank");
        Assert.NotEqual(0, none.ExitCode);
        Assert.Contains("reranking was asked for but none is configured", none.Stderr);

        var given = await Run("kb", "search", KbDir, "the spring", "-k", "3", "--json", "--rerank", Reranker);
        Assert.True(given.ExitCode == 0, given.Stderr);
        var scores = Lines(given.Stdout).Select(r => r.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(3, scores.Count);
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(scores, s => Assert.InRange(s, 0, 1));
    }

    [Fact]
    public async Task An_embedding_model_as_reranker_is_refused_at_create_naming_its_config()
    {
        string embedder = ModelFixtures.Dir("bert-tiny-cls");
        var r = await Run("kb", "create", KbDir, "--reranker", embedder);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(Path.Combine(embedder, "config.json"), r.Stderr);
        Assert.Contains("\"architectures\" is [\"BertModel\"]", r.Stderr);
        Assert.False(File.Exists(Path.Combine(KbDir, "kb.json")));
    }

    [Fact]
    public async Task A_cross_encoder_with_two_labels_is_refused_at_create_naming_the_field()
    {
        string copy = _temp.File("two-labels");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(Reranker)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(copy, "config.json")))!.AsObject();
        config["id2label"] = new JsonObject { ["0"] = "no", ["1"] = "yes" };
        File.WriteAllText(Path.Combine(copy, "config.json"), config.ToJsonString());
        var r = await Run("kb", "create", KbDir, "--reranker", copy);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(Path.Combine(copy, "config.json"), r.Stderr);
        Assert.Contains("gives 2 labels, expected 1", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Rerank_llm_needs_a_judge_model()
    {
        await CreateAndAddAsync();
        var r = await Run("kb", "search", KbDir, "the spring", "--rerank", "llm");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--rerank llm needs --judge-model", r.Stderr);
    }

    private static string Id(JsonElement r) => r.GetProperty("chunk_id").GetString()!;
}
