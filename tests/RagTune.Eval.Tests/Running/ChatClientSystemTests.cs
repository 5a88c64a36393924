// ChatClientSystem: closed-book prompts, RAFT document prompts with a seeded per-item shuffle, retriever wiring.
using Microsoft.Extensions.AI;
using RagTune.Eval.Data;
using RagTune.Eval.Systems;
using RagTune.Knowledge.Rag;

namespace RagTune.Eval.Tests.Running;

public sealed class ChatClientSystemTests
{
    private static readonly EvalItem Item = new("i1", "Where is X?", ["Paris"],
        [new EvalDocument("d0", "X is in Paris.", IsOracle: true), new EvalDocument("d1", "Y is in Rome."), new EvalDocument("d2", "Z is in Oslo.")]);

    [Fact]
    public async Task DocumentPromptsFollowTheRecordedFormatWithTheInstructionAfterTheQuestion()
    {
        var ct = TestContext.Current.CancellationToken;
        var format = new RagPromptFormat { DocumentTemplate = "[doc] {document}\n", InstructionTemplate = "Context:\n{documents}Q: {question}", SystemPrompt = "Cite." };
        var client = new FakeChatClient((_, _) => "Paris");
        var system = new ChatClientSystem(client, new ChatClientSystemOptions
        {
            Name = "rag", Context = ContextSource.ItemDocuments, ShuffleDocuments = false, Instruction = "Answer briefly.", Format = format,
        });
        await system.AnswerAsync(Item, ct);
        Assert.Equal("Cite.", client.Requests[0][0].Text);
        Assert.Equal("Context:\n[doc] X is in Paris.\n[doc] Y is in Rome.\n[doc] Z is in Oslo.\nQ: Where is X?\nAnswer briefly.", client.Requests[0][1].Text);
    }

    [Fact]
    public async Task ClosedBookSendsTheQuestionAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new FakeChatClient((_, o) => $"seed={o?.Seed}");
        var system = new ChatClientSystem(client, new ChatClientSystemOptions { Name = "base", SystemPrompt = "Be brief.", Seed = 11 });
        var answer = await system.AnswerAsync(Item, ct);
        Assert.Equal("seed=11", answer.Text);
        Assert.Null(answer.Documents);
        Assert.Equal(ChatRole.System, client.Requests[0][0].Role);
        Assert.Equal("Where is X?", client.Requests[0][1].Text);
    }

    [Fact]
    public async Task ItemDocumentsAreShuffledDeterministicallyPerItem()
    {
        var ct = TestContext.Current.CancellationToken;
        async Task<(string Prompt, SystemAnswer Answer)> Ask(int seed)
        {
            var client = new FakeChatClient((m, _) => "<ANSWER>: Paris");
            var system = new ChatClientSystem(client, new ChatClientSystemOptions { Name = "rag", Context = ContextSource.ItemDocuments, Seed = seed });
            var a = await system.AnswerAsync(Item, ct);
            return (client.Requests[0][^1].Text, a);
        }
        var (p1, a1) = await Ask(5);
        var (p2, _) = await Ask(5);
        Assert.Equal(p1, p2);
        Assert.Equal(3, a1.Documents!.Count);
        Assert.Equal(1, a1.Documents.Count(d => d.IsOracle == true));
        Assert.Equal(string.Concat(a1.Documents.Select(d => "<DOCUMENT>" + d.Text + "</DOCUMENT>\n")) + Item.Question, p1);
        var orders = new HashSet<string>();
        for (int s = 0; s < 12; s++) orders.Add((await Ask(s)).Prompt);
        Assert.True(orders.Count > 1, "the seed should change the document order");
    }

    [Fact]
    public async Task RetrieverSuppliesTheDocumentsThroughTheRagClient()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new FakeChatClient((_, _) => "<ANSWER>: Paris");
        var system = new ChatClientSystem(client, new ChatClientSystemOptions
        {
            Name = "kb",
            Context = ContextSource.Retriever,
            Retriever = new OnePassageRetriever(),
            TopK = 3,
        });
        var answer = await system.AnswerAsync(Item, ct);
        Assert.Equal("<ANSWER>: Paris", answer.Text);
        var doc = Assert.Single(answer.Documents!);
        Assert.Equal(("kb-1", 0.9), (doc.Id, doc.Score));
        Assert.Equal("<DOCUMENT>X is in Paris.</DOCUMENT>\nWhere is X?", client.Requests[0][^1].Text);
        Assert.Throws<EvalException>(() => new ChatClientSystem(client, new ChatClientSystemOptions { Name = "bad", Context = ContextSource.Retriever }));
        Assert.Throws<EvalException>(() => new ChatClientSystem(client, new ChatClientSystemOptions
        {
            Name = "bad", Context = ContextSource.Retriever, Retriever = new OnePassageRetriever(), Instruction = "Be brief.",
        }));
    }

    private sealed class OnePassageRetriever : IRagRetriever
    {
        public Task<IReadOnlyList<RetrievedPassage>> RetrieveAsync(string query, int k, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RetrievedPassage>>(
                [new RetrievedPassage { Index = 1, ChunkId = "kb-1", DocumentId = "d", Text = query == "Where is X?" ? "X is in Paris." : "?", Score = 0.9 }]);
    }
}
