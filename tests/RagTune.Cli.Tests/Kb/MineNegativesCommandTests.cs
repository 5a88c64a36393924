// `ragtune train mine-negatives` against a small knowledge base built in the test: negatives come from the KB's ranked hits,
// never the positive, within the requested rank range, and the output is FlagEmbedding JSONL that `train embed` reads.
using System.Text.Json;
using RagTune.Engine.Tests.Tensors;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Cli.Tests.Kb;

public sealed class MineNegativesCommandTests : IDisposable
{
    private static readonly string[] Texts =
    [
        "Water the tomato garden every morning before the sun is high.",
        "The rose garden needs pruning in early spring.",
        "Garden tools rust when they are left in the rain.",
        "A vegetable garden wants six hours of sun a day.",
        "Compost turns kitchen scraps into garden soil.",
        "The ferry to the island leaves at noon.",
    ];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> BuildKbAsync()
    {
        string docs = _temp.File("docs"), kb = _temp.File("kb");
        Directory.CreateDirectory(docs);
        for (int i = 0; i < Texts.Length; i++)
            File.WriteAllText(Path.Combine(docs, $"d{i}.txt"), Texts[i]);
        Assert.Equal(0, (await CliHarness.RunAsync(["kb", "create", kb], null, Ct)).ExitCode);
        var added = await CliHarness.RunAsync(["kb", "add", kb, docs], null, Ct);
        Assert.True(added.ExitCode == 0, added.Stderr);
        return kb;
    }

    private string WriteQueries()
    {
        string path = _temp.File("queries.jsonl");
        File.WriteAllLines(path,
        [
            JsonSerializer.Serialize(new { query = "when to water the tomato garden", pos = Texts[0] }),
            JsonSerializer.Serialize(new { query = "pruning the rose garden", pos = new[] { Texts[1] }, prompt = "Represent this query: " }),
        ]);
        return path;
    }

    [Fact]
    public async Task Negatives_come_from_the_kb_ranks_and_exclude_the_positive()
    {
        string kb = await BuildKbAsync(), output = Path.Combine(_temp.File("out"), "flag.jsonl");
        var r = await CliHarness.RunAsync(["train", "mine-negatives", "--kb", kb, "--input", WriteQueries(), "--output", output,
            "--negatives", "3", "--skip-top", "0", "--range-end", "10"], null, Ct);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("2 queries mined", r.Stderr);
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        for (int q = 0; q < 2; q++)
        {
            var neg = lines[q].GetProperty("neg").EnumerateArray().Select(x => x.GetString()!.Trim()).ToList();
            Assert.Equal(3, neg.Count);
            Assert.Equal(3, neg.Distinct().Count());
            Assert.DoesNotContain(Texts[q], neg);   // the positive ranks first for its query, yet is never a negative
            Assert.All(neg, n => Assert.Contains(n, Texts));
            Assert.Equal(Texts[q], lines[q].GetProperty("pos")[0].GetString());
        }
        Assert.Equal("Represent this query: ", lines[1].GetProperty("prompt").GetString());
        // The trainer's reader takes the file as it is.
        Assert.Equal(2, EmbeddingTrainer.ReadFlagEmbedding(output).Count);
    }

    [Fact]
    public async Task Skip_top_and_range_end_bound_the_ranks_sampled()
    {
        string kb = await BuildKbAsync(), output = _temp.File("flag.jsonl");
        var all = await CliHarness.RunAsync(["kb", "search", kb, "when to water the tomato garden", "-k", "10", "--json"], null, Ct);
        var ranked = all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!.Trim()).ToList();
        Assert.Equal(Texts[0], ranked[0]);
        // Ranks [2, 4): exactly the third and fourth hits, whatever the sampling.
        var r = await CliHarness.RunAsync(["train", "mine-negatives", "--kb", kb, "--input", WriteQueries(), "--output", output,
            "--negatives", "5", "--skip-top", "2", "--range-end", "4"], null, Ct);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("with fewer than 5 negatives", r.Stderr);
        var neg = JsonDocument.Parse(File.ReadLines(output).First()).RootElement.GetProperty("neg").EnumerateArray().Select(x => x.GetString()!.Trim());
        Assert.Equal(ranked[2..4].Order(), neg.Order());
    }

    [Fact]
    public async Task Bad_ranges_and_missing_files_are_clear_errors()
    {
        string kb = await BuildKbAsync();
        var range = await CliHarness.RunAsync(["train", "mine-negatives", "--kb", kb, "--input", WriteQueries(), "--output", _temp.File("o.jsonl"),
            "--skip-top", "5", "--range-end", "5"], null, Ct);
        Assert.NotEqual(0, range.ExitCode);
        Assert.Contains("0 ≤ --skip-top < --range-end", range.Stderr);
        var missing = await CliHarness.RunAsync(["train", "mine-negatives", "--kb", kb, "--input", _temp.File("nope.jsonl"), "--output", _temp.File("o.jsonl")], null, Ct);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("nope.jsonl: query file not found", missing.Stderr);
    }
}
