// The teacher summariser: the document (cut to the limit) goes to the chat model in its language, reasoning is stripped
// from the reply, an empty reply is an error naming the document.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Summaries;
using RagTune.Knowledge.Tests.Search;
using Xunit;

namespace RagTune.Knowledge.Tests.Summaries;

public sealed class ChatClientDocumentSummarizerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Document Doc(string text, string language = "en") => new()
    {
        Id = "d.md", SourcePath = "/d.md", RelativePath = "d.md", Title = "Tea", Text = text, ContentHash = "h", Language = language,
    };

    [Fact]
    public async Task TheReplyWithoutReasoningIsTheSummaryAndLongDocumentsAreCut()
    {
        IReadOnlyList<ChatMessage>? seen = null;
        var chat = new FakeChatClient(m => { seen = m; return Task.FromResult("<think>hmm</think>\n A note on tea harvests. "); });
        var summarizer = new ChatClientDocumentSummarizer(chat, new ChatClientDocumentSummarizerOptions { MaxDocumentCharacters = 10 });
        Assert.Equal("A note on tea harvests.", await summarizer.SummarizeAsync(Doc("0123456789ABCDEF"), Ct));
        Assert.Equal(ChatRole.System, seen![0].Role);
        Assert.EndsWith("0123456789", seen[1].Text);
        Assert.Contains("Title: Tea", seen[1].Text);
    }

    [Fact]
    public async Task AChineseDocumentIsSummarisedInChinese()
    {
        IReadOnlyList<ChatMessage>? seen = null;
        var chat = new FakeChatClient(m => { seen = m; return Task.FromResult("关于茶。"); });
        Assert.Equal("关于茶。", await new ChatClientDocumentSummarizer(chat).SummarizeAsync(Doc("春茶", "zh"), Ct));
        Assert.Contains("摘要", seen![0].Text);
    }

    [Fact]
    public async Task AnEmptyReplyIsAnErrorNamingTheDocument()
    {
        var chat = new FakeChatClient(_ => Task.FromResult("<think>only thinking</think>"));
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => new ChatClientDocumentSummarizer(chat).SummarizeAsync(Doc("text"), Ct));
        Assert.Contains("'d.md'", e.Message);
    }
}
