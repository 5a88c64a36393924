// Seeded random texts (mixed zh/en, punctuation, blank lines, long unbroken runs) through the splitter and every chunker:
// the invariants must hold for any input, and no input may stall the packing loop.
using System.Text;
using Xunit;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Tests.Chunking;

public sealed class ChunkerFuzzTests
{
    private static readonly string[] Pieces =
    [
        "知识", "检索", "模型", "。", "！", "？", "；", "……", "”", "「", "」", "，", "The", "cat", "Dr.", "e.g.", "3.14", "U.S.",
        ".", "!", "?", "...", "\"", " ", " ", " ", "\n", "\n\n", "\t", "x", "A.", "𠀀", new string('z', 90), "— ", "(", ")",
    ];

    private static string RandomText(Random random, int pieces)
    {
        var text = new StringBuilder();
        for (var i = 0; i < pieces; i++) text.Append(Pieces[random.Next(Pieces.Length)]);
        return text.ToString();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void SplitterSpansAreOrderedTrimmedAndCoverAllText(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 50; round++)
        {
            var text = RandomText(random, random.Next(0, 200));
            var spans = SentenceSplitter.Default.Split(text);
            var covered = new bool[text.Length];
            var previousEnd = 0;
            foreach (var span in spans)
            {
                Assert.True(span.Start >= previousEnd && span.End > span.Start);
                Assert.False(char.IsWhiteSpace(text[span.Start]));
                Assert.False(char.IsWhiteSpace(text[span.End - 1]));
                for (var i = span.Start; i < span.End; i++) covered[i] = true;
                previousEnd = span.End;
            }
            for (var i = 0; i < text.Length; i++)
                Assert.True(covered[i] || char.IsWhiteSpace(text[i]), $"char {i} '{text[i]}' of seed {seed} round {round} is in no sentence");
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void ChunkersKeepTheirInvariantsOnAnyText(int seed)
    {
        var random = new Random(seed);
        var counter = ApproximateTokenCounter.Instance;
        for (var round = 0; round < 20; round++)
        {
            var text = RandomText(random, random.Next(1, 400));
            var doc = ChunkAssert.Doc(text, sections: RandomSections(random, text));
            var max = random.Next(1, 60);
            var overlap = random.Next(0, max);
            var chunks = new SentenceChunker(counter).Chunk(doc, new ChunkingOptions { MaxTokens = max, OverlapTokens = overlap, RespectSections = random.Next(2) == 0 });
            ChunkAssert.Valid(doc, chunks, max, counter);

            int[] levels = [max * 4 + 4, max * 2 + 2, max + 1];
            var tree = new HierarchicalChunker(counter).Chunk(doc, new HierarchicalChunkingOptions { Levels = levels, OverlapTokens = overlap });
            for (var level = 0; level < levels.Length; level++) ChunkAssert.Valid(doc, tree.Where(c => c.Level == level).ToList(), levels[level], counter);
            var byId = tree.ToDictionary(c => c.Id);
            Assert.All(tree.Where(c => c.ParentId is not null), c =>
                Assert.True(byId[c.ParentId!].StartChar <= c.StartChar && c.EndChar <= byId[c.ParentId!].EndChar));
        }
    }

    private static List<DocumentSection> RandomSections(Random random, string text)
    {
        var starts = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(0, text.Length)).Distinct().Order().ToList();
        return starts.Select((s, i) => new DocumentSection("h" + i, 1, s, s, i + 1 < starts.Count ? starts[i + 1] : text.Length)).ToList();
    }
}
