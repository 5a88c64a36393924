// The LLM judge: robust parsing of the required JSON reply, prompts in the question's language, retries, recorded
// failures and bounded concurrency — all against a scripted IChatClient.
using Microsoft.Extensions.AI;
using System.Net;
using RagTune.Eval.Metrics;
using RagTune.Raft.Clients;

namespace RagTune.Eval.Tests.Metrics;

public sealed class LlmJudgeTests
{
    [Theory]
    [InlineData("""{"reasoning": "all supported", "score": 5}""", 5, "all supported")]
    [InlineData("```json\n{\"reasoning\": \"partly\", \"score\": \"3\"}\n```", 3, "partly")]
    [InlineData("Sure! Here is my verdict: {\"score\": 4.0, \"reason\": \"minor gap {x}\"} Hope it helps.", 4, "minor gap {x}")]
    [InlineData("{\"理由\": \"回答有依据\", \"评分\": 2}", 2, "回答有依据")]
    [InlineData("{\"reasoning\": \"He said \"yes\" twice\", \"score\": 1}", 1, null)]
    public void ParsesScoresFromVariousReplies(string reply, int score, string? reasoning)
    {
        var v = LlmJudge.Parse(reply);
        Assert.Null(v.Error);
        Assert.Equal(score, v.Score);
        if (reasoning is not null) Assert.Equal(reasoning, v.Reasoning);
        Assert.Equal(reply, v.Raw);
    }

    [Theory]
    [InlineData("I think it's good.")]
    [InlineData("{\"reasoning\": \"x\", \"score\": 7}")]
    [InlineData("{\"reasoning\": \"x\", \"score\": 3.5}")]
    [InlineData("{\"reasoning\": \"x\"}")]
    public void RejectsRepliesWithoutAValidScore(string reply)
    {
        var v = LlmJudge.Parse(reply);
        Assert.Null(v.Score);
        Assert.NotNull(v.Error);
    }

    [Fact]
    public async Task UsesChinesePromptsForChineseQuestionsAndKeepsReasoning()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new FakeChatClient((_, _) => """{"reasoning": "有依据", "score": 4}""");
        var judge = new LlmJudge(client);
        var v = await judge.JudgeFaithfulnessAsync("长江有多长？", "6300公里 {question}", ["长江全长6300公里。"], ct);
        Assert.Equal(4, v.Score);
        Assert.Equal("有依据", v.Reasoning);
        var prompt = client.Requests[0];
        Assert.Equal(ChatRole.System, prompt[0].Role);
        Assert.Contains("忠实度", prompt[1].Text);
        Assert.Contains("[1] 长江全长6300公里。", prompt[1].Text);
        // The answer's own "{question}" is not expanded.
        Assert.Contains("6300公里 {question}", prompt[1].Text);

        var en = await judge.JudgeRelevanceAsync("How long is the Yangtze?", "6300 km", ct);
        Assert.Equal(4, en.Score);
        Assert.Contains("RELEVANT", client.Requests[1][1].Text);
    }

    [Fact]
    public async Task RetriesUnparsableRepliesThenRecordsTheFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        int n = 0;
        var flaky = new FakeChatClient((_, _) => ++n == 1 ? "no json" : """{"reasoning": "ok", "score": 2}""");
        var judge = new LlmJudge(flaky, new LlmJudgeOptions { MaxAttempts = 2 });
        var v = await judge.JudgeRelevanceAsync("q", "a", ct);
        Assert.Equal(2, v.Score);
        Assert.Equal(2, flaky.Calls);

        // A failing call is retried by the client's resilience step, not asked again by the judge.
        var broken = new FakeChatClient((_, _) => throw new HttpRequestException("503 Service Unavailable", null, HttpStatusCode.ServiceUnavailable));
        using var resilient = broken.AsBuilder().UseResilience(new ResilienceOptions { MaxAttempts = 3, InitialBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero }).Build();
        var judge2 = new LlmJudge(resilient, new LlmJudgeOptions { MaxAttempts = 3 });
        var failed = await judge2.JudgeRelevanceAsync("q", "a", ct);
        Assert.Null(failed.Score);
        Assert.Contains("HTTP 503", failed.Error);
        Assert.Contains("3 attempt(s)", failed.Error);
        Assert.Equal(3, broken.Calls);
    }

    [Fact]
    public async Task ConcurrencyIsBounded()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new FakeChatClient((_, _) => """{"reasoning": "r", "score": 3}""", delayMs: 20);
        using var resilient = client.AsBuilder().UseResilience(new ResilienceOptions { MaxConcurrency = 2 }).Build();
        var judge = new LlmJudge(resilient);
        var verdicts = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => judge.JudgeRelevanceAsync($"q{i}", "a", ct)));
        Assert.All(verdicts, v => Assert.Equal(3, v.Score));
        Assert.Equal(10, client.Calls);
        Assert.InRange(client.MaxInFlight, 1, 2);
    }
}
