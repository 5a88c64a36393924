// Node groups: coarse → fine chunks with parent links; children stay inside their parent's span.
using Xunit;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Tests.Chunking;

public sealed class HierarchicalChunkerTests
{
    private static string Text()
    {
        var random = new Random(11);
        var zh = new[] { "知识库需要分块。", "检索先匹配细粒度的块！", "然后返回它的父块吗？", "是的；", "这样上下文更完整。" };
        var en = new[] { "Fine chunks match the query.", "Their parents give the model context.", "Dr. Lee measured 3.5 points of recall.", "It works." };
        return string.Join(' ', Enumerable.Range(0, 120).Select(i => i % 3 == 0 ? zh[random.Next(zh.Length)] : en[random.Next(en.Length)]));
    }

    [Fact]
    public void LevelsNestInsideTheirParents()
    {
        var doc = ChunkAssert.Doc(Text());
        var counter = ApproximateTokenCounter.Instance;
        int[] levels = [200, 60, 25];
        var chunks = new HierarchicalChunker(counter).Chunk(doc, new HierarchicalChunkingOptions { Levels = levels, OverlapTokens = 10 });
        var byId = chunks.ToDictionary(c => c.Id);

        for (var level = 0; level < levels.Length; level++)
        {
            var atLevel = chunks.Where(c => c.Level == level).ToList();
            Assert.NotEmpty(atLevel);
            Assert.Equal(Enumerable.Range(0, atLevel.Count), atLevel.Select(c => c.Index));
            ChunkAssert.Valid(doc, atLevel, levels[level], counter);
        }
        Assert.True(chunks.Count(c => c.Level == 2) > chunks.Count(c => c.Level == 1));
        Assert.True(chunks.Count(c => c.Level == 1) > chunks.Count(c => c.Level == 0));

        Assert.All(chunks.Where(c => c.Level == 0), c => Assert.Null(c.ParentId));
        foreach (var child in chunks.Where(c => c.Level > 0))
        {
            var parent = byId[child.ParentId!];
            Assert.Equal(child.Level - 1, parent.Level);
            Assert.True(parent.StartChar <= child.StartChar && child.EndChar <= parent.EndChar, $"{child.Id} leaves {parent.Id}");
        }
        // Each parent is fully covered by its own children, sentence by sentence.
        foreach (var parent in chunks.Where(c => c.Level < levels.Length - 1))
        {
            var children = chunks.Where(c => c.ParentId == parent.Id).ToList();
            Assert.NotEmpty(children);
            Assert.Equal(parent.StartChar, children[0].StartChar);
            Assert.Equal(parent.EndChar, children[^1].EndChar);
            ChunkAssert.Valid(doc, children, levels[parent.Level + 1], counter, new TextSpan(parent.StartChar, parent.EndChar));
        }
    }

    [Fact]
    public void SmallDocumentGivesOneChunkPerLevel()
    {
        var doc = ChunkAssert.Doc("Short document. Only two sentences.");
        var chunks = new HierarchicalChunker().Chunk(doc);
        Assert.Equal([0, 1, 2], chunks.Select(c => c.Level));
        Assert.All(chunks, c => Assert.Equal(doc.Text, c.Text));
        Assert.Equal(chunks[0].Id, chunks[1].ParentId);
        Assert.Equal(chunks[1].Id, chunks[2].ParentId);
    }

    [Fact]
    public void LevelsMustShrink()
    {
        var e = Assert.Throws<KnowledgeException>(() => new HierarchicalChunker().Chunk(ChunkAssert.Doc("x."), new HierarchicalChunkingOptions { Levels = [128, 256] }));
        Assert.Contains("Levels[1] is 256", e.Message);
    }
}
