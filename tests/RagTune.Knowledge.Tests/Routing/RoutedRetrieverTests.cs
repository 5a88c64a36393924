// Routed RAG: two in-memory knowledge bases behind one retriever; a rule or a model picks which one is searched, and a
// RagChatClient over the routed retriever answers from the right one.
using System.Text;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Rag;
using RagTune.Knowledge.Routing;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using RagTune.Knowledge.Tests.Search;
using Xunit;

namespace RagTune.Knowledge.Tests.Routing;

public sealed class RoutedRetrieverTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TempFolder _docs = new();
    private KnowledgeBase _hr = null!;
    private KnowledgeBase _it = null!;

    public async ValueTask InitializeAsync()
    {
        _docs.Write("hr/leave.md", Encoding.UTF8.GetBytes("# Annual leave\n\nEvery employee has 25 days of annual leave per year; unused days carry over until March.\n"));
        _docs.Write("hr/salary.md", Encoding.UTF8.GetBytes("# Salary\n\nSalaries are paid on the 25th of each month by bank transfer.\n"));
        _docs.Write("it/vpn.md", Encoding.UTF8.GetBytes("# VPN\n\nConnect to the VPN with the Aldor client; your password expires every 90 days.\n"));
        _docs.Write("it/laptops.md", Encoding.UTF8.GetBytes("# Laptops\n\nA broken laptop is replaced within 2 days by the service desk.\n"));
        _hr = new KnowledgeBase(new InMemoryKnowledgeStore());
        _it = new KnowledgeBase(new InMemoryKnowledgeStore());
        await _hr.AddFolderAsync(Path.Combine(_docs.Path, "hr"), cancellationToken: Ct);
        await _it.AddFolderAsync(Path.Combine(_docs.Path, "it"), cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _hr.DisposeAsync();
        await _it.DisposeAsync();
        _docs.Dispose();
    }

    private RetrievalRoute[] Routes =>
    [
        new("hr", new KnowledgeBaseRetriever(_hr), "leave, salary and benefits"),
        new("it", new KnowledgeBaseRetriever(_it), "VPN, passwords and laptops"),
    ];

    [Fact]
    public async Task Rules_pick_the_knowledge_base_and_the_passages_say_which()
    {
        var retriever = new RoutedRetriever(Routes, new RuleIntentRouter(IntentRule.Keywords(["vpn", "password", "laptop"], "it")), defaultRoute: "hr");

        var it = await retriever.RetrieveAsync("When does my password expire?", 2, Ct);
        Assert.Equal("vpn.md", it[0].DocumentId);
        Assert.All(it, p => Assert.Equal("it", p.KnowledgeBase));

        // "days" is in both knowledge bases; without a rule the default (hr) is searched, and only hr documents come back.
        var hr = await retriever.RetrieveAsync("How many days of leave do I have?", 2, Ct);
        Assert.Equal("leave.md", hr[0].DocumentId);
        Assert.All(hr, p => Assert.Equal(("hr", true), (p.KnowledgeBase, p.DocumentId is "leave.md" or "salary.md")));
    }

    [Fact]
    public async Task A_RagChatClient_over_a_model_routed_retriever_answers_from_the_chosen_knowledge_base()
    {
        var classifier = new FakeChatClient(m => FakeChatClient.UserText(m).Contains("laptop", StringComparison.Ordinal) ? "Category: it" : "no idea");
        var retriever = new RoutedRetriever(Routes, new ChatClientIntentRouter(classifier), defaultRoute: "hr");
        var generator = new FakeChatClient(m => "From the documents.");
        var rag = new RagChatClient(generator, retriever, new RagChatClientOptions { TopK = 1 });

        var response = await rag.GetResponseAsync("My laptop is broken, how long until it is replaced?", cancellationToken: Ct);
        var passage = Assert.Single(RagContent.From(response)!.Passages);
        Assert.Equal(("it", "laptops.md"), (passage.KnowledgeBase, passage.DocumentId));
        Assert.Contains("replaced within 2 days by the service desk", FakeChatClient.UserText(generator.Calls.Single()));
        Assert.Contains("- it: VPN, passwords and laptops", classifier.Calls.Single()[0].Text);

        // The classifier names no knowledge base: the default is searched.
        var fallback = await rag.GetResponseAsync("When are salaries paid?", cancellationToken: Ct);
        Assert.Equal(("hr", "salary.md"), (RagContent.From(fallback)!.Passages[0].KnowledgeBase, RagContent.From(fallback)!.Passages[0].DocumentId));
    }

    [Fact]
    public void Routes_need_unique_names_and_a_default_among_them()
    {
        var router = new RuleIntentRouter();
        Assert.Contains("default route 'legal'", Assert.Throws<KnowledgeException>(() => new RoutedRetriever(Routes, router, "legal")).Message);
        Assert.Contains("'hr' is given twice", Assert.Throws<KnowledgeException>(() => new RoutedRetriever([.. Routes, Routes[0]], router, "hr")).Message);
        Assert.Throws<KnowledgeException>(() => new RoutedRetriever([], router, "hr"));
    }
}
