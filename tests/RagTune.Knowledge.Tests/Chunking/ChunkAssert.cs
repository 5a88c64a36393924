// Invariants every chunk list must satisfy: exact spans, limits (unless flagged), whole sentences, full coverage.
using Xunit;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Tests.Chunking;

internal static class ChunkAssert
{
    public static void Valid(Document doc, IReadOnlyList<Chunk> chunks, int maxTokens, ITokenCounter counter, TextSpan? range = null)
    {
        var span = range ?? new TextSpan(0, doc.Text.Length);
        var sentences = SentenceSplitter.Default.Split(doc.Text).Where(s => s.End > span.Start && s.Start < span.End).ToList();
        var starts = sentences.Select(s => s.Start).ToHashSet();
        var ends = sentences.Select(s => s.End).ToHashSet();
        foreach (var chunk in chunks)
        {
            Assert.Equal(doc.Text[chunk.StartChar..chunk.EndChar], chunk.Text);
            Assert.Equal(counter.Count(chunk.Text), chunk.TokenCount);
            Assert.True(chunk.TokenCount <= maxTokens || chunk.Oversized, $"chunk {chunk.Id} has {chunk.TokenCount} tokens > {maxTokens}");
            Assert.True(chunk.StartChar >= span.Start && chunk.EndChar <= span.End, $"chunk {chunk.Id} leaves its range");
            if (!chunk.Oversized)
            {
                Assert.Contains(chunk.StartChar, starts);
                Assert.Contains(chunk.EndChar, ends);
            }
            Assert.Equal(doc.Id, chunk.DocumentId);
            Assert.Equal(Chunk.MakeId(doc.Id, chunk.Level, chunk.Index), chunk.Id);
        }
        foreach (var sentence in sentences)
            Assert.True(chunks.Any(c => c.StartChar <= sentence.Start && sentence.End <= c.EndChar)
                        || chunks.Any(c => c.Oversized && c.StartChar < sentence.End && sentence.Start < c.EndChar),
                $"sentence at {sentence.Start} is in no chunk");
        Assert.Equal(chunks.Count, chunks.Select(c => c.Id).Distinct().Count());
    }

    public static Document Doc(string text, string id = "doc.txt", IReadOnlyList<DocumentSection>? sections = null, IReadOnlyList<int>? pages = null) => new()
    {
        Id = id,
        SourcePath = "/kb/" + id,
        RelativePath = id,
        Title = "Test",
        Text = text,
        Sections = sections ?? [],
        PageStarts = pages ?? [],
        ContentHash = "0",
        Language = LanguageGuesser.Guess(text),
    };
}

/// <summary>Whitespace-separated words: a counter whose values are easy to compute by hand.</summary>
internal sealed class WordCounter : ITokenCounter
{
    public int Count(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
