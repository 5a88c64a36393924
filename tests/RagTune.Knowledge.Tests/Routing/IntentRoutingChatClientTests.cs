// IntentRoutingChatClient: each request goes, unchanged, to the chosen route's client (the inner client by default), the route
// is recorded in the response and in every streamed update, and a router naming an unknown route is an error.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Routing;
using Xunit;

namespace RagTune.Knowledge.Tests.Routing;

public sealed class IntentRoutingChatClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IIntentRouter Rules = new RuleIntentRouter(
        IntentRule.Pattern(@"\d+\s*[-+*/]\s*\d+", "calc"),
        IntentRule.Keywords(["refund"], "docs"));

    [Fact]
    public async Task Sends_each_request_to_the_chosen_route_and_records_the_route()
    {
        var (chat, calc, docs) = (new EchoClient("chat"), new EchoClient("calc"), new EchoClient("docs"));
        using var client = new ChatClientBuilder(chat)
            .Use(inner => new IntentRoutingChatClient(inner, Rules, [new ChatRoute("calc", calc), new ChatRoute("docs", docs)],
                new IntentRoutingChatClientOptions { DefaultRoute = "chat" }))
            .Build();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "what is 6 * 7?")],
            new ChatOptions { MaxOutputTokens = 3 }, Ct);
        Assert.Equal("calc: what is 6 * 7?", response.Text);
        Assert.Equal("calc", IntentRoutingChatClient.RouteOf(response));
        var seen = Assert.Single(calc.Requests);
        Assert.Equal(["system", "user"], seen.Messages.Select(m => m.Role.Value)); // the conversation goes on unchanged
        Assert.Equal(3, seen.Options!.MaxOutputTokens);

        var refund = await client.GetResponseAsync("Where is my REFUND?", cancellationToken: Ct);
        Assert.Equal(("docs", "docs: Where is my REFUND?"), (IntentRoutingChatClient.RouteOf(refund), refund.Text));

        var other = await client.GetResponseAsync("hello", cancellationToken: Ct);
        Assert.Equal(("chat", "chat: hello"), (IntentRoutingChatClient.RouteOf(other), other.Text));

        // No user message: nothing to route on, the default answers.
        var none = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "1 + 1")], cancellationToken: Ct);
        Assert.Equal("chat", IntentRoutingChatClient.RouteOf(none));
        Assert.NotNull(client.GetService<IntentRoutingChatClient>());
    }

    [Fact]
    public async Task Streams_from_the_chosen_route_with_the_route_on_every_update()
    {
        var (chat, docs) = (new EchoClient("chat"), new EchoClient("docs"));
        var client = new IntentRoutingChatClient(chat, Rules, [new ChatRoute("docs", docs)], new IntentRoutingChatClientOptions { DefaultRoute = "chat" });

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("refund for order 7", cancellationToken: Ct))
            updates.Add(update);
        Assert.Equal("docs: refund for order 7", string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count > 1);
        Assert.All(updates, u => Assert.Equal("docs", IntentRoutingChatClient.RouteOf(u)));
        Assert.Equal("docs", IntentRoutingChatClient.RouteOf(updates.ToChatResponse()));
        Assert.Empty(chat.Requests);

        var plain = await client.GetStreamingResponseAsync("hi there", cancellationToken: Ct).ToChatResponseAsync(Ct);
        Assert.Equal(("chat", "chat: hi there"), (IntentRoutingChatClient.RouteOf(plain), plain.Text));
    }

    [Fact]
    public async Task A_regex_that_times_out_sends_the_request_on_to_the_next_rule_or_the_default_route()
    {
        var (chat, slow, docs) = (new EchoClient("chat"), new EchoClient("slow"), new EchoClient("docs"));
        var router = new RuleIntentRouter(IntentRule.Pattern(@"^(\w+\s?)*$", "slow"), IntentRule.Keywords(["refund"], "docs"));
        var client = new IntentRoutingChatClient(chat, router, [new ChatRoute("slow", slow), new ChatRoute("docs", docs)]);
        string hostile = string.Concat(Enumerable.Repeat("word ", 30)) + "!";
        Assert.Equal("default", IntentRoutingChatClient.RouteOf(await client.GetResponseAsync(hostile, cancellationToken: Ct)));
        Assert.Equal("docs", IntentRoutingChatClient.RouteOf(await client.GetResponseAsync(hostile + " refund", cancellationToken: Ct)));
        Assert.Empty(slow.Requests);
    }

    [Fact]
    public async Task Routes_by_a_models_choice_and_rejects_bad_route_names()
    {
        var classifier = new EchoClient("ignored", reply: _ => "<think>hmm</think> Probably docs.");
        var docs = new EchoClient("docs");
        var client = new IntentRoutingChatClient(new EchoClient("chat"), new ChatClientIntentRouter(classifier),
            [new ChatRoute("docs", docs, "questions about the returns policy")], new IntentRoutingChatClientOptions { DefaultRoute = "chat", DefaultDescription = "anything else" });
        var response = await client.GetResponseAsync("Can I send it back?", cancellationToken: Ct);
        Assert.Equal("docs", IntentRoutingChatClient.RouteOf(response));
        Assert.Contains("- docs: questions about the returns policy", classifier.Requests.Single().Messages[0].Text);
        Assert.Equal(["chat", "docs"], client.Routes.Select(r => r.Name));

        var typo = new IntentRoutingChatClient(new EchoClient("chat"), new RuleIntentRouter(IntentRule.Keywords(["x"], "dcos")), [new ChatRoute("docs", docs)]);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => typo.GetResponseAsync("x", cancellationToken: Ct));
        Assert.Contains("route 'dcos', expected one of: default, docs", e.Message);
        Assert.Throws<KnowledgeException>(() => new IntentRoutingChatClient(new EchoClient("a"), Rules, [new ChatRoute("default", docs)]));
        Assert.Throws<KnowledgeException>(() => new IntentRoutingChatClient(new EchoClient("a"), Rules, [new ChatRoute("b", docs), new ChatRoute("b", docs)]));
    }

    /// <summary>Answers "name: question" (or a scripted reply), streamed in two-word pieces; records each request.</summary>
    private sealed class EchoClient(string name, Func<string, string>? reply = null) : IChatClient
    {
        public List<(List<ChatMessage> Messages, ChatOptions? Options)> Requests { get; } = [];

        private string Answer(IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            var list = messages.ToList();
            lock (Requests) Requests.Add((list, options));
            string question = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
            return reply?.Invoke(question) ?? $"{name}: {question}";
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer(messages, options))) { FinishReason = ChatFinishReason.Stop });

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var words = Answer(messages, options).Split(' ');
            for (int i = 0; i < words.Length; i += 2)
            {
                await Task.Yield();
                yield return new ChatResponseUpdate(ChatRole.Assistant, (i > 0 ? " " : "") + string.Join(' ', words.Skip(i).Take(2)))
                {
                    FinishReason = i + 2 >= words.Length ? ChatFinishReason.Stop : null,
                };
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose() { }
    }
}
