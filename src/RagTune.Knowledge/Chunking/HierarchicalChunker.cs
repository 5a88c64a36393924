// Several granularities at once: coarse chunks over the document, each split further inside its own span with a parent
// link, so retrieval can match a fine chunk and return its parent.
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Chunking;

public sealed class HierarchicalChunker
{
    private readonly SentenceChunker _chunker;

    public HierarchicalChunker(ITokenCounter? counter = null, SentenceSplitter? splitter = null) =>
        _chunker = new SentenceChunker(counter, splitter);

    /// <summary>All chunks of all levels, level 0 (coarsest) first, each level in document order. Every chunk of level l &gt; 0
    /// has <see cref="Chunk.ParentId"/> set to a level l−1 chunk whose span contains its own.</summary>
    public IReadOnlyList<Chunk> Chunk(Document document, HierarchicalChunkingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        options ??= new HierarchicalChunkingOptions();
        options.Validate();
        var all = new List<Chunk>();
        var parents = new List<Chunk>();
        var sentences = _chunker.Sentences(document);
        _chunker.ChunkRange(document, sentences, new TextSpan(0, document.Text.Length), options.Levels[0], Overlap(options, 0),
            options.RespectSections, level: 0, parentId: null, parents);
        all.AddRange(parents);
        for (var level = 1; level < options.Levels.Count; level++)
        {
            var children = new List<Chunk>();
            foreach (var parent in parents)
                _chunker.ChunkRange(document, sentences, new TextSpan(parent.StartChar, parent.EndChar), options.Levels[level], Overlap(options, level),
                    options.RespectSections, level, parent.Id, children);
            all.AddRange(children);
            parents = children;
        }
        return all;
    }

    // Overlap must stay below the level's size; half of it is the most that still lets each chunk add new text.
    private static int Overlap(HierarchicalChunkingOptions options, int level) => Math.Min(options.OverlapTokens, options.Levels[level] / 2);
}
