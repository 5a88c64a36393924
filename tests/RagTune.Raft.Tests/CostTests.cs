// Price tables (defaults, file override, prefix lookup) and the dry-run estimate, checked against hand-computed numbers.
using RagTune.Raft.Costs;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class CostTests
{
    [Fact]
    public void Prices_are_found_exactly_case_insensitively_or_by_longest_prefix()
    {
        var t = PriceTable.Defaults;
        Assert.Equal(new ModelPrice(0.15m, 0.60m), t.Find("gpt-4o-mini"));
        Assert.Equal(new ModelPrice(0.15m, 0.60m), t.Find("gpt-4o-mini-2024-07-18"));
        Assert.Equal(new ModelPrice(2.50m, 10m), t.Find("GPT-4o"));
        Assert.Null(t.Find("qwen2.5:7b"));
        Assert.Equal(0m, t.Cost("qwen2.5:7b", 1000, 1000));
        // 1M input at $0.15 + 2M output at $0.60.
        Assert.Equal(1.35m, t.Cost("gpt-4o-mini", 1_000_000, 2_000_000));
        Assert.Equal(0.00000075m, new ModelPrice(0.15m, 0.60m).Cost(1, 1));
    }

    [Fact]
    public async Task A_price_file_overrides_and_extends_the_defaults()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir["p.json"], """{"gpt-4o-mini": {"input": 0.1, "output": 0.4}, "qwen2.5:7b": {"input": 0, "output": 0}}""", TestContext.Current.CancellationToken);
        var t = PriceTable.Load(dir["p.json"]);
        Assert.Equal(new ModelPrice(0.1m, 0.4m), t.Find("gpt-4o-mini"));
        Assert.Equal(new ModelPrice(0m, 0m), t.Find("qwen2.5:7b"));
        Assert.Equal(new ModelPrice(2.50m, 10m), t.Find("gpt-4o"));
        await File.WriteAllTextAsync(dir["bad.json"], """{"m": {"input": "cheap", "output": 1}}""", TestContext.Current.CancellationToken);
        var ex = Assert.Throws<RaftException>(() => PriceTable.Load(dir["bad.json"]));
        Assert.Contains("'m'", ex.Message);
        Assert.Contains("'input'", ex.Message);
    }

    [Fact]
    public void Token_estimate_counts_cjk_characters_and_quarter_of_the_rest()
    {
        Assert.Equal(0, TokenEstimator.Estimate(""));
        Assert.Equal(2, TokenEstimator.Estimate("abcdefgh"));
        Assert.Equal(3, TokenEstimator.Estimate("abcdefghi"));
        Assert.Equal(4, TokenEstimator.Estimate("水泵压力"));
        Assert.Equal(3, TokenEstimator.Estimate("水泵 ab"));
    }

    [Fact]
    public void Estimate_matches_a_hand_computed_example()
    {
        // Prompts of known size: system "SYS" (1 token), questions "Q{count}:{chunk}", answer "A{question}|{chunk}".
        var prompts = new RaftPrompts("SYS", "Q{count}:{chunk}", "A{question}|{chunk}", "SYS", "Q{count}:{chunk}", "A{question}|{chunk}");
        var options = new RaftOptions { QuestionsPerChunk = 2, Prompts = prompts };
        var chunks = new List<RaftChunk> { new("1", "d", "abcdefghijkl"), new("2", "e", "水泵压力") };
        var e = new RaftEstimator { QuestionTokens = 10, AnswerTokens = 100 }.Estimate(chunks, options, "gpt-4o-mini", PriceTable.Defaults);
        // Chunk 1: question call "Q2:abcdefghijkl" = 15 chars → 4 tokens, + system 1 + 2×4 overhead = 13;
        //          answer prompt "A|abcdefghijkl" = 14 chars → 4 tokens, + question 10 + overhead 4 = 18, twice = 36.
        // Chunk 2: "Q2:" 3 chars + 4 CJK → 1 + 4 = 5, + 1 + 8 = 14; "A|" → 1 + 4 = 5, + 14 = 19, twice = 38.
        Assert.Equal(13 + 36 + 14 + 38, e.InputTokens);
        Assert.Equal(2 * (2 * 10 + 2 * 100), e.OutputTokens);
        Assert.Equal((2L, 4L, 6L), (e.QuestionCalls, e.AnswerCalls, e.Calls));
        Assert.Equal((101 * 0.15m + 440 * 0.60m) / 1_000_000m, e.CostUsd);
        Assert.Null(new RaftEstimator().Estimate(chunks, options, "local-model", PriceTable.Defaults).CostUsd);
    }
}
