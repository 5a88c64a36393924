// The LLM-judge reranker with a scripted chat model: ordering by grade, prompt language, concurrency bound, failure fallback, parsing.
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using RagTune.Knowledge.Search;
using Xunit;
using static RagTune.Knowledge.Tests.Search.FakeRoute;

namespace RagTune.Knowledge.Tests.Search;

public sealed class LlmJudgeRerankerTests
{
    private static readonly SearchHit[] Hits =
    [
        Hit("1", 0.9, "Parking is free on Sundays."),
        Hit("2", 0.8, "Annual leave is 15 working days per year."),
        Hit("3", 0.7, "Leave requests go through the HR portal."),
        Hit("4", 0.6, null, new Dictionary<string, string> { ["text"] = "Sick leave needs a doctor's note." }),
    ];

    private static string GradeByPassage(IReadOnlyList<ChatMessage> messages)
    {
        string user = FakeChatClient.UserText(messages);
        if (user.Contains("Annual leave")) return "9";
        if (user.Contains("HR portal")) return "Score: 6/10";
        if (user.Contains("Sick leave")) return "<think>it mentions leave, 2 of 3 facts</think>\n6";
        return "0";
    }

    [Fact]
    public async Task OrdersByGrade_TiesKeepFusedOrder_ScoresBecomeGrades()
    {
        var chat = new FakeChatClient(GradeByPassage);
        var reranker = new LlmJudgeReranker(chat, new LlmJudgeRerankerOptions { MaxConcurrency = 2 });
        var result = await reranker.RerankAsync("How many days of annual leave?", Hits, TestContext.Current.CancellationToken);
        Assert.Equal(["2", "3", "4", "1"], result.Select(h => h.Id));
        Assert.Equal([9.0, 6.0, 6.0, 0.0], result.Select(h => h.Score));
        Assert.Equal(4, chat.Calls.Count);
        Assert.True(chat.PeakConcurrency <= 2, $"peak {chat.PeakConcurrency}");
        Assert.Contains("Reply with the number only", chat.Calls[0][0].Text);
        Assert.Equal(0f, chat.Options[0]!.Temperature);
    }

    [Fact]
    public async Task ChineseQuery_GetsAChinesePrompt()
    {
        var chat = new FakeChatClient(_ => "８分");
        var reranker = new LlmJudgeReranker(chat);
        var result = await reranker.RerankAsync("年假有多少天？", [Hit("x", 1, "员工每年享有十五天年假。")], TestContext.Current.CancellationToken);
        Assert.Equal(8.0, Assert.Single(result).Score);
        Assert.Contains("相关性评审", chat.Calls[0][0].Text);
        Assert.StartsWith("查询：年假有多少天？", FakeChatClient.UserText(chat.Calls[0]));
    }

    [Fact]
    public async Task UnparseableReply_KeepsOriginalOrderAndWarns()
    {
        var logger = new ListLogger();
        var chat = new FakeChatClient(m => FakeChatClient.UserText(m).Contains("Parking") ? "I cannot judge this." : "7");
        var reranker = new LlmJudgeReranker(chat, new LlmJudgeRerankerOptions { Logger = logger });
        var result = await reranker.RerankAsync("annual leave", Hits, TestContext.Current.CancellationToken);
        Assert.Same(Hits, result);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("keeping the fused order"));
    }

    [Fact]
    public async Task ThrowingClient_KeepsOriginalOrder_ButCancellationPropagates()
    {
        var failing = new FakeChatClient(_ => Task.FromException<string>(new HttpRequestException("connection refused")));
        var logger = new ListLogger();
        var result = await new LlmJudgeReranker(failing, new LlmJudgeRerankerOptions { Logger = logger })
            .RerankAsync("q", Hits, TestContext.Current.CancellationToken);
        Assert.Same(Hits, result);
        Assert.Single(logger.Entries);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new LlmJudgeReranker(new FakeChatClient(_ => "5")).RerankAsync("q", Hits, cts.Token));
    }

    [Theory]
    [InlineData("7", 7.0)]
    [InlineData(" 10\n", 10.0)]
    [InlineData("**8**", 8.0)]
    [InlineData("8/10", 8.0)]
    [InlineData("I'd rate it 7 out of 10.", 7.0)]
    [InlineData("Relevance grade (0-10): 4", 4.0)]
    [InlineData("On a scale from 0 to 10, this deserves a 3.", 3.0)]
    [InlineData("Score: 7 (mentions 2 of the 3 facts)", 7.0)]
    [InlineData("7.5", 7.5)]
    [InlineData("<think>The scale is 0-10; the passage covers 1 point.</think>2", 2.0)]
    [InlineData("相关性分数：９", 9.0)]
    [InlineData("评分：6分", 6.0)]
    [InlineData("11", null)]
    [InlineData("none", null)]
    [InlineData("", null)]
    public void ParseGrade(string reply, double? expected) => Assert.Equal(expected, LlmJudgeReranker.ParseGrade(reply));

    [Fact]
    public async Task PassThrough_ReturnsTheSameList()
    {
        var result = await PassThroughReranker.Instance.RerankAsync("q", Hits, TestContext.Current.CancellationToken);
        Assert.Same(Hits, result);
    }
}
