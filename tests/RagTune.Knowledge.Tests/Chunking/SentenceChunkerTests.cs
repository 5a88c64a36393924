// Sentence-aware token chunking: limits, overlap, over-long sentences, sections, Chinese, exact spans.
using Xunit;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Tests.Chunking;

public sealed class SentenceChunkerTests
{
    private const string TwelveSentences =
        "One two three. Four five six. Seven eight nine. Ten eleven twelve. Thirteen fourteen fifteen. Sixteen seventeen eighteen.";

    [Fact]
    public void GreedyPackingWithWholeSentenceOverlap()
    {
        var doc = ChunkAssert.Doc(TwelveSentences);
        var chunks = new SentenceChunker(new WordCounter()).Chunk(doc, new ChunkingOptions { MaxTokens = 7, OverlapTokens = 3 });
        Assert.Equal(
        [
            "One two three. Four five six.",
            "Four five six. Seven eight nine.",
            "Seven eight nine. Ten eleven twelve.",
            "Ten eleven twelve. Thirteen fourteen fifteen.",
            "Thirteen fourteen fifteen. Sixteen seventeen eighteen.",
        ], chunks.Select(c => c.Text));
        Assert.All(chunks, c => Assert.Equal(6, c.TokenCount));
        Assert.Equal([0, 1, 2, 3, 4], chunks.Select(c => c.Index));
        Assert.Equal("doc.txt::0:2", chunks[2].Id);
        ChunkAssert.Valid(doc, chunks, 7, new WordCounter());
    }

    [Fact]
    public void NoOverlapAndOverlapLargerThanOneSentence()
    {
        var doc = ChunkAssert.Doc(TwelveSentences);
        var plain = new SentenceChunker(new WordCounter()).Chunk(doc, new ChunkingOptions { MaxTokens = 9, OverlapTokens = 0 });
        Assert.Equal(["One two three. Four five six. Seven eight nine.", "Ten eleven twelve. Thirteen fourteen fifteen. Sixteen seventeen eighteen."],
            plain.Select(c => c.Text));

        // Overlap 6 would repeat two sentences, but then the five-word sentence no longer fits in 9: the overlap shrinks to one.
        var uneven = ChunkAssert.Doc("One two three. Four five six. Seven eight nine. Ten eleven twelve thirteen fourteen.");
        var shrunk = new SentenceChunker(new WordCounter()).Chunk(uneven, new ChunkingOptions { MaxTokens = 9, OverlapTokens = 6 });
        Assert.Equal(["One two three. Four five six. Seven eight nine.", "Seven eight nine. Ten eleven twelve thirteen fourteen."],
            shrunk.Select(c => c.Text));
        ChunkAssert.Valid(uneven, shrunk, 9, new WordCounter());
    }

    [Fact]
    public void OverlongSentenceIsCutAtWordsAndFlagged()
    {
        var longSentence = string.Join(' ', Enumerable.Range(1, 30).Select(i => $"W{i}")) + ".";
        var doc = ChunkAssert.Doc($"Short one. {longSentence} Short two.");
        var chunks = new SentenceChunker(new WordCounter()).Chunk(doc, new ChunkingOptions { MaxTokens = 8, OverlapTokens = 0 });
        ChunkAssert.Valid(doc, chunks, 8, new WordCounter());
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 8));
        var cut = chunks.Where(c => c.Oversized).ToList();
        Assert.Equal(4, cut.Count);   // 30 words in pieces of ≤ 8 words
        Assert.Equal(longSentence + " Short two.", string.Join(' ', cut.Select(c => c.Text)));
        Assert.False(chunks[0].Oversized);
        Assert.Equal("Short one.", chunks[0].Text);
    }

    [Fact]
    public void OverlongTableIsCutBetweenRows()
    {
        // Table rows carry no sentence punctuation: the whole table is one "sentence", cut between rows, never inside one.
        var rows = Enumerable.Range(1, 20).Select(i => $"row{i}\tvalue {i}\tnote {i}").ToList();
        var doc = ChunkAssert.Doc("Table follows.\n\n" + string.Join('\n', rows));
        var chunks = new SentenceChunker(new WordCounter()).Chunk(doc, new ChunkingOptions { MaxTokens = 11, OverlapTokens = 0 });
        ChunkAssert.Valid(doc, chunks, 11, new WordCounter());
        Assert.Equal("Table follows.", chunks[0].Text);
        var tableChunks = chunks.Skip(1).ToList();
        Assert.All(tableChunks, c => Assert.True(c.Oversized));
        Assert.All(tableChunks, c => Assert.All(c.Text.Split('\n'), line => Assert.Contains(line, rows)));
        Assert.Equal(rows, tableChunks.SelectMany(c => c.Text.Split('\n')));
        Assert.All(tableChunks, c => Assert.Equal(2, c.Text.Split('\n').Length));   // 5 words a row: two rows fit in 11, three do not
    }

    [Fact]
    public void OverlongWordIsCutAtCharacters()
    {
        var doc = ChunkAssert.Doc(new string('x', 100) + ". Next.");
        var counter = ApproximateTokenCounter.Instance;   // 100 letters = 25 tokens
        var chunks = new SentenceChunker(counter).Chunk(doc, new ChunkingOptions { MaxTokens = 10, OverlapTokens = 0 });
        ChunkAssert.Valid(doc, chunks, 10, counter);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 10));
        Assert.Equal(new string('x', 40), chunks[0].Text);
        Assert.True(chunks[0].Oversized);
    }

    [Fact]
    public void ChineseIsChunkedBySentence()
    {
        var sentences = new[]
        {
            "检索增强生成把外部知识引入大模型。", "分块质量直接影响召回率！", "为什么按字符计数不够准确？", "因为模型看到的是词元；",
            "中文每个字大约对应一个词元……", "我们按句子打包，“绝不”在句中切分。", "最后一句在这里。",
        };
        var doc = ChunkAssert.Doc(string.Concat(sentences));
        var counter = ApproximateTokenCounter.Instance;
        var chunks = new SentenceChunker(counter).Chunk(doc, new ChunkingOptions { MaxTokens = 30, OverlapTokens = 0 });
        ChunkAssert.Valid(doc, chunks, 30, counter);
        Assert.True(chunks.Count >= 4);
        Assert.All(chunks, c => Assert.Contains(c.Text[^1], "。！？；…”"));
        Assert.Equal(string.Concat(sentences), string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal("zh", doc.Language);
    }

    [Fact]
    public void SectionsAreNotPackedTogetherAndCarryTheirHeadingTrail()
    {
        const string text = "Guide\n\nIntro sentence.\n\nInstall\n\nRun it. Then check.\n\nUsage\n\nUse it well.";
        int At(string s) => text.IndexOf(s, StringComparison.Ordinal);
        var sections = new List<DocumentSection>
        {
            new("Guide", 1, 0, 5, text.Length),
            new("Install", 2, At("Install"), At("Install") + 7, At("Usage")),
            new("Usage", 2, At("Usage"), At("Usage") + 5, text.Length),
        };
        var doc = ChunkAssert.Doc(text, "guide.md", sections);
        var chunks = new SentenceChunker(new WordCounter()).Chunk(doc, new ChunkingOptions { MaxTokens = 100, OverlapTokens = 10 });
        Assert.Equal(["Guide\n\nIntro sentence.", "Install\n\nRun it. Then check.", "Usage\n\nUse it well."], chunks.Select(c => c.Text));
        Assert.Equal(["Guide", "Install"], chunks[1].HeadingPath);
        Assert.Equal("Guide > Usage", chunks[2].Metadata["heading"]);
        Assert.Equal("guide.md", chunks[2].Metadata["source"]);
        Assert.Equal("Test", chunks[2].Metadata["title"]);

        var packed = new SentenceChunker(new WordCounter()).Chunk(doc, new ChunkingOptions { MaxTokens = 100, OverlapTokens = 10, RespectSections = false });
        Assert.Equal(text, Assert.Single(packed).Text);
    }

    [Fact]
    public void PageNumberOfTheChunkStart()
    {
        const string text = "Page one text.\n\nPage two first. Page two second.";
        var doc = ChunkAssert.Doc(text, "a.pdf", pages: [0, 16]);
        var chunks = new SentenceChunker(new WordCounter()).Chunk(doc, new ChunkingOptions { MaxTokens = 3, OverlapTokens = 0 });
        Assert.Equal(["1", "2", "2"], chunks.Select(c => c.Metadata["page"]));
    }

    [Fact]
    public void SuperAdditiveCounterStillRespectsTheLimit()
    {
        // Summed sentence counts underestimate a join here (as BPE merges can): the chunker must check the real count.
        var counter = new SuperAdditiveCounter();
        var doc = ChunkAssert.Doc(string.Join(' ', Enumerable.Range(0, 12).Select(i => $"Sentence number{i}.")));
        var chunks = new SentenceChunker(counter).Chunk(doc, new ChunkingOptions { MaxTokens = 6, OverlapTokens = 2 });
        ChunkAssert.Valid(doc, chunks, 6, counter);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 6));
        Assert.Equal(2, chunks[0].Text.Count(c => c == '.'));   // three sentences sum to 6 but count 7
    }

    [Fact]
    public void EngineTokenizerCountsChunks()
    {
        var counter = new TokenizerTokenCounter(new Text.TokenCounterTests.CharTokenizer());
        var doc = ChunkAssert.Doc(TwelveSentences);
        var chunks = new SentenceChunker(counter).Chunk(doc, new ChunkingOptions { MaxTokens = 40, OverlapTokens = 0 });
        ChunkAssert.Valid(doc, chunks, 40, counter);
        Assert.All(chunks, c => Assert.Equal(c.Text.Length, c.TokenCount));
    }

    [Fact]
    public void LongEnglishDocumentKeepsEveryInvariant()
    {
        var random = new Random(7);
        var words = new[] { "retrieval", "index", "vector", "a", "of", "the", "BM25", "Dr.", "3.14", "e.g.", "chunk", "model" };
        var text = string.Join(' ', Enumerable.Range(0, 200).Select(_ =>
            "The " + string.Join(' ', Enumerable.Range(0, random.Next(3, 30)).Select(_ => words[random.Next(words.Length)])) + "."));
        var doc = ChunkAssert.Doc(text);
        var counter = ApproximateTokenCounter.Instance;
        var chunks = new SentenceChunker(counter).Chunk(doc, new ChunkingOptions { MaxTokens = 64, OverlapTokens = 16 });
        ChunkAssert.Valid(doc, chunks, 64, counter);
        for (var i = 1; i < chunks.Count; i++)
        {
            Assert.True(chunks[i].StartChar > chunks[i - 1].StartChar);
            Assert.True(chunks[i].StartChar <= chunks[i - 1].EndChar + 1);   // overlapping or adjacent: nothing is skipped
        }
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        var e = Assert.Throws<KnowledgeException>(() => new SentenceChunker().Chunk(ChunkAssert.Doc("x."), new ChunkingOptions { MaxTokens = 10, OverlapTokens = 10 }));
        Assert.Contains("OverlapTokens is 10", e.Message);
    }

    [Fact]
    public void EmptyDocumentHasNoChunks() => Assert.Empty(new SentenceChunker().Chunk(ChunkAssert.Doc("  \n\n ")));

    private sealed class SuperAdditiveCounter : ITokenCounter
    {
        public int Count(string text)
        {
            var words = new WordCounter().Count(text);
            return words + words / 4;
        }
    }
}
