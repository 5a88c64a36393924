// Collection routing: keyword/regex rules with a default, chat-model classification with lenient parsing and fallback.
using RagTune.Knowledge.Search;
using Xunit;
using static RagTune.Knowledge.Tests.Search.FakeRoute;

namespace RagTune.Knowledge.Tests.Search;

public sealed class RoutingTests
{
    private static readonly KnowledgeCollection[] Collections =
    [
        new("hr", "Leave, salary, benefits and other HR policies", new HybridSearcher([new FakeRoute("bm25", Hit("leave-1", 3), Hit("shared", 2))])),
        new("it", "VPN, laptops, accounts and IT support", new HybridSearcher([new FakeRoute("bm25", Hit("vpn-1", 5), Hit("shared", 1))])),
        new("finance", "Expense claims, invoices and budgets", new HybridSearcher([new FakeRoute("bm25", Hit("exp-1", 4))])),
    ];

    [Fact]
    public async Task RuleRouter_UnionOfMatchingRulesElseDefault()
    {
        var router = new RuleRouter(
        [
            RoutingRule.Keywords(["年假", "leave", "salary"], "hr"),
            RoutingRule.Pattern(@"\bvpn\b|密码", "it"),
            RoutingRule.Keywords(["reimburse"], "finance", "hr"),
        ], defaultCollections: ["hr"]);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(["hr"], await router.RouteAsync("年假怎么请？", Collections, ct));
        Assert.Equal(["it"], await router.RouteAsync("My VPN keeps dropping", Collections, ct));
        Assert.Equal(["hr", "finance"], await router.RouteAsync("Can I reimburse travel during leave?", Collections, ct));
        Assert.Equal(["hr"], await router.RouteAsync("where is the canteen", Collections, ct));
        Assert.Equal(["hr", "it", "finance"], await new RuleRouter([]).RouteAsync("anything", Collections, ct));

        var typo = new RuleRouter([RoutingRule.Keywords(["x"], "hrr")]);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => typo.RouteAsync("x", Collections, ct));
        Assert.Contains("'hrr'", e.Message);
    }

    [Theory]
    [InlineData("[\"it\"]", new[] { "it" })]
    [InlineData("```json\n[\"finance\", \"hr\"]\n```", new[] { "finance", "hr" })]
    [InlineData("<think>maybe [\"hr\"]? no.</think>[\"IT\"]", new[] { "it" })]
    [InlineData("The best collections are it and finance.", new[] { "it", "finance" })]
    [InlineData("[\"marketing\", \"hr\"]", new[] { "hr" })]
    public void ChatRouter_ParsesLeniently(string reply, string[] expected) =>
        Assert.Equal(expected, ChatClientRouter.ParseChoice(reply, ["hr", "it", "finance"]));

    [Fact]
    public async Task ChatRouter_AsksWithDescriptions_FallsBackToAllOnFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        var chat = new FakeChatClient(_ => "[\"it\"]");
        Assert.Equal(["it"], await new ChatClientRouter(chat).RouteAsync("vpn broken", Collections, ct));
        string prompt = FakeChatClient.UserText(chat.Calls.Single());
        Assert.Contains("- finance: Expense claims, invoices and budgets", prompt);
        Assert.Contains("Query: vpn broken", prompt);

        var logger = new ListLogger();
        Assert.Equal(["hr", "it", "finance"], await new ChatClientRouter(new FakeChatClient(_ => "no idea"), logger).RouteAsync("q", Collections, ct));
        Assert.Equal(["hr", "it", "finance"],
            await new ChatClientRouter(new FakeChatClient(_ => Task.FromException<string>(new TimeoutException())), logger).RouteAsync("q", Collections, ct));
        Assert.Equal(2, logger.Entries.Count);
    }

    [Fact]
    public async Task RoutedSearcher_SearchesTheChosenCollectionsAndKeepsEqualIdsApart()
    {
        var ct = TestContext.Current.CancellationToken;
        var searcher = new RoutedSearcher(Collections, new FakeRouterAnswering("it", "hr"));
        var result = await searcher.SearchAsync("q", 10, cancellationToken: ct);
        Assert.Equal(["it", "hr"], result.Collections);
        // RRF over collections: vpn-1 (it #1) and leave-1 (hr #1) tie at 1/61 → best rank, then collection order.
        Assert.Equal([("hr", "leave-1"), ("it", "vpn-1"), ("hr", "shared"), ("it", "shared")],
            result.Hits.Select(h => (h.Collection!, h.Id)));

        var one = await new RoutedSearcher(Collections, new FakeRouterAnswering("finance")).SearchAsync("q", 10, cancellationToken: ct);
        Assert.Equal("finance", Assert.Single(one.Hits).Collection);

        var bad = new RoutedSearcher(Collections, new FakeRouterAnswering("legal"));
        await Assert.ThrowsAsync<KnowledgeException>(() => bad.SearchAsync("q", 10, cancellationToken: ct));
    }

    private sealed class FakeRouterAnswering(params string[] names) : ICollectionRouter
    {
        public Task<IReadOnlyList<string>> RouteAsync(string query, IReadOnlyList<KnowledgeCollection> collections, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>(names);
    }
}
