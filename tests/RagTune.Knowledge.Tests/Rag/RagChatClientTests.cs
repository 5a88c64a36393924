// RagChatClient in a ChatClientBuilder-style pipeline: the last user turn becomes the recorded prompt over the retrieved
// passages, the system prompt is added only when the caller sent none, and the passages and citations come back as
// RagContent — in one response and streamed (passages first, citations with the end).
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Rag;
using Xunit;

namespace RagTune.Knowledge.Tests.Rag;

public sealed class RagChatClientTests
{
    private static readonly RagPromptFormat Format = new() { DocumentTemplate = "<doc>{document}</doc>", QuoteBegin = "«", QuoteEnd = "»", SystemPrompt = "Quote the documents." };

    private static readonly RetrievedPassage[] Passages =
    [
        new() { Index = 1, ChunkId = "c1", DocumentId = "d1", Source = "pumps.md", Title = "Pumps", Text = "The Aldor pump is in hall 3." },
        new() { Index = 2, ChunkId = "c2", DocumentId = "d2", Source = "valves.md", Text = "Valves are grey." },
    ];

    [Fact]
    public async Task Answers_from_the_retrieved_passages_with_structured_citations()
    {
        var ct = TestContext.Current.CancellationToken;
        var inner = new StreamingChatClient("It is «in hall 3». <ANSWER>: hall 3");
        var rag = new RagChatClient(inner, new FixedRetriever(Passages), new RagChatClientOptions { Format = Format, TopK = 2, SourcesFooter = true });

        var response = await rag.GetResponseAsync([new ChatMessage(ChatRole.User, "earlier"), new ChatMessage(ChatRole.Assistant, "ok"),
            new ChatMessage(ChatRole.User, "Where is the Aldor pump?")], cancellationToken: ct);

        var prompt = Assert.Single(inner.Prompts);
        Assert.Equal(["system", "user", "assistant", "user"], prompt.Select(m => m.Role.Value));
        Assert.Equal("Quote the documents.", prompt[0].Text);
        Assert.Equal("earlier", prompt[1].Text);
        Assert.Equal("<doc>The Aldor pump is in hall 3.</doc><doc>Valves are grey.</doc>Where is the Aldor pump?", prompt[3].Text);
        var content = RagContent.From(response)!;
        Assert.Equal(["c1", "c2"], content.Passages.Select(p => p.ChunkId));
        var citation = Assert.Single(content.Citations!);
        Assert.Equal(("quote", "c1", "in hall 3"), (citation.Kind, citation.ChunkId, citation.Quote));
        Assert.Equal("It is «in hall 3». <ANSWER>: hall 3\n\nSources:\n[1] Pumps (pumps.md) — \"in hall 3\"", response.Text);
        Assert.Same(rag, rag.GetService(typeof(RagChatClient)));
    }

    [Fact]
    public async Task Streams_passages_first_and_citations_with_the_end_and_keeps_the_callers_system_prompt()
    {
        var ct = TestContext.Current.CancellationToken;
        var inner = new StreamingChatClient("No quote here.");
        var rag = new RagChatClient(inner, new FixedRetriever(Passages), new RagChatClientOptions { Format = Format, FallbackCitations = 1 });

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in rag.GetStreamingResponseAsync([new ChatMessage(ChatRole.System, "Mine."), new ChatMessage(ChatRole.User, "q")], cancellationToken: ct))
            updates.Add(u);

        Assert.Equal(["system", "user"], inner.Prompts.Single().Select(m => m.Role.Value));
        Assert.Equal("Mine.", inner.Prompts.Single()[0].Text);
        var first = updates[0].Contents.OfType<RagContent>().Single();
        Assert.Equal(2, first.Passages.Count);
        Assert.Null(first.Citations);
        Assert.Equal("No quote here.", string.Concat(updates.Select(u => u.Text)));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Stop, last.FinishReason);
        var cited = Assert.Single(last.Contents.OfType<RagContent>().Single().Citations!);
        Assert.Equal(("retrieved", "c1"), (cited.Kind, cited.ChunkId));
        await Assert.ThrowsAsync<ArgumentException>(() => rag.GetResponseAsync([new ChatMessage(ChatRole.System, "no question")], cancellationToken: ct));
    }

    private sealed class FixedRetriever(IReadOnlyList<RetrievedPassage> passages) : IRagRetriever
    {
        public Task<IReadOnlyList<RetrievedPassage>> RetrieveAsync(string query, int k, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RetrievedPassage>>(passages.Take(k).ToList());
    }

    /// <summary>Answers with a fixed text, streamed word by word with the finish reason on the last piece; records prompts.</summary>
    private sealed class StreamingChatClient(string answer) : IChatClient
    {
        public List<List<ChatMessage>> Prompts { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Prompts.Add(messages.ToList());
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { FinishReason = ChatFinishReason.Stop });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Prompts.Add(messages.ToList());
            var words = answer.Split(' ');
            for (int i = 0; i < words.Length; i++)
            {
                await Task.Yield();
                yield return new ChatResponseUpdate(ChatRole.Assistant, (i > 0 ? " " : "") + words[i])
                {
                    FinishReason = i == words.Length - 1 ? ChatFinishReason.Stop : null,
                };
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
