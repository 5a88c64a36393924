// The routers: rules (first match wins, a regex that times out falls through), a chat model asked for one route (chatty
// replies read leniently, anything unknown decides nothing), and chains of them.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Routing;
using RagTune.Knowledge.Tests.Search;
using Xunit;

namespace RagTune.Knowledge.Tests.Routing;

public sealed class IntentRouterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IntentRoute[] Routes =
    [
        new("chat", "small talk and arithmetic"),
        new("hr", "leave, salary and benefits"),
        new("it", "VPN, laptops and accounts"),
    ];

    [Fact]
    public async Task Rules_first_match_wins_with_regex_or_keywords_else_no_decision()
    {
        var router = new RuleIntentRouter(
            IntentRule.Pattern(@"\d+\s*[-+*/]\s*\d+", "chat"),
            IntentRule.Keywords(["年假", "leave"], "hr"),
            new IntentRule("it", pattern: @"\bvpn\b", keywords: ["密码"]),
            IntentRule.Keywords(["holiday"], "hr"));
        Assert.Equal("chat", router.Route("what is 3 + 4 days of leave")); // two rules match: the first wins
        Assert.Equal("hr", router.Route("年假怎么请？"));
        Assert.Equal("it", router.Route("My VPN keeps dropping"));
        Assert.Equal("it", router.Route("忘记密码了"));
        Assert.Null(router.Route("where is the canteen"));
        Assert.Equal("hr", await router.RouteAsync("LEAVE request", Routes, Ct));
    }

    [Fact]
    public void A_rule_whose_regex_times_out_falls_through_to_the_next_rule_or_no_decision()
    {
        // Catastrophic backtracking: far beyond the rule's 100 ms budget on this input (the regex throws, the rule does not match).
        var router = new RuleIntentRouter(
            IntentRule.Pattern(@"^(\w+\s?)*$", "chat"),
            IntentRule.Keywords(["vpn"], "it"));
        string hostile = string.Concat(Enumerable.Repeat("word ", 30)) + "!";
        Assert.Null(router.Route(hostile));
        Assert.Equal("it", router.Route(hostile + " vpn"));
        Assert.Equal("chat", router.Route("plain words"));
    }

    [Fact]
    public void A_rule_needs_a_route_a_pattern_or_keywords_and_a_valid_regex()
    {
        Assert.Contains("neither pattern nor keywords", Assert.Throws<KnowledgeException>(() => new IntentRule("hr")).Message);
        Assert.Contains("pattern '(' is not a valid regular expression", Assert.Throws<KnowledgeException>(() => IntentRule.Pattern("(", "hr")).Message);
        Assert.Contains("route is empty", Assert.Throws<KnowledgeException>(() => IntentRule.Keywords(["x"], " ")).Message);
    }

    [Theory]
    [InlineData("it", "it")]
    [InlineData("HR.", "hr")]
    [InlineData("<think>Could be hr, or it.</think>\nCategory: it", "it")]
    [InlineData("Sure! The best category for this message is **hr**, not it.", "hr")]
    [InlineData("With that said: chat", "chat")]          // "it" inside "With" is no mention
    [InlineData("这个问题属于 it 类", "it")]
    [InlineData("I cannot tell.", null)]
    [InlineData("finance", null)]
    public void Chat_router_reads_chatty_replies(string reply, string? expected) =>
        Assert.Equal(expected, ChatClientIntentRouter.ParseChoice(reply, ["chat", "hr", "it"]));

    [Fact]
    public void Chat_router_finds_a_chinese_label_inside_chinese_text_and_prefers_the_longer_label_at_one_place()
    {
        Assert.Equal("人事", ChatClientIntentRouter.ParseChoice("这是人事问题。", ["技术", "人事"]));
        Assert.Equal("hr-policy", ChatClientIntentRouter.ParseChoice("hr-policy", ["hr", "hr-policy"]));
    }

    [Fact]
    public async Task Chat_router_asks_with_the_route_descriptions_and_falls_back_on_unknown_replies_and_failures()
    {
        var chat = new FakeChatClient(_ => "The answer is: it");
        Assert.Equal("it", await new ChatClientIntentRouter(chat).RouteAsync("vpn broken", Routes, Ct));
        var prompt = chat.Calls.Single();
        Assert.Contains("exactly one of these categories: chat, hr, it.", prompt[0].Text);
        Assert.Contains("- hr: leave, salary and benefits", prompt[0].Text);
        Assert.Equal("vpn broken", FakeChatClient.UserText(prompt));
        Assert.Equal(0f, chat.Options.Single()!.Temperature);

        var logger = new ListLogger();
        Assert.Null(await new ChatClientIntentRouter(new FakeChatClient(_ => "marketing"), logger: logger).RouteAsync("q", Routes, Ct));
        Assert.Null(await new ChatClientIntentRouter(new FakeChatClient(_ => Task.FromException<string>(new HttpRequestException("refused"))), logger: logger)
            .RouteAsync("q", Routes, Ct));
        Assert.Equal(2, logger.Entries.Count);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ChatClientIntentRouter(chat).RouteAsync("q", Routes, cancelled.Token));
    }

    [Fact]
    public async Task Chat_router_labels_map_the_models_answer_to_routes()
    {
        var chat = new FakeChatClient(_ => "Math, clearly.");
        var router = new ChatClientIntentRouter(chat, new ChatClientIntentRouterOptions
        {
            Labels = new Dictionary<string, string> { ["math"] = "chat", ["people"] = "hr", ["computers"] = "it" },
            ChatOptions = new ChatOptions { MaxOutputTokens = 4 },
        });
        Assert.Equal("chat", await router.RouteAsync("2+2", Routes, Ct));
        Assert.Contains("math, people, computers", chat.Calls.Single()[0].Text);
        Assert.Equal(4, chat.Options.Single()!.MaxOutputTokens);
    }

    [Fact]
    public async Task A_chain_asks_its_routers_in_order_until_one_decides()
    {
        var chat = new FakeChatClient(_ => "hr");
        var chain = new IntentRouterChain(new RuleIntentRouter(IntentRule.Keywords(["vpn"], "it")), new ChatClientIntentRouter(chat));
        Assert.Equal("it", await chain.RouteAsync("vpn down", Routes, Ct));
        Assert.Empty(chat.Calls); // the rules decided: the model was not asked
        Assert.Equal("hr", await chain.RouteAsync("how many days off?", Routes, Ct));
        Assert.Single(chat.Calls);
        Assert.Null(await new IntentRouterChain(new RuleIntentRouter(), new ChatClientIntentRouter(new FakeChatClient(_ => "?"))).RouteAsync("x", Routes, Ct));
    }
}
