// Semantic chunking (LlamaIndex SemanticSplitter semantics): embed each sentence with its neighbours, break where the
// cosine distance between consecutive windows exceeds a percentile of all such distances, then enforce MaxTokens.
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Chunking;

public sealed class SemanticChunker
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly SentenceChunker _chunker;

    public SemanticChunker(IEmbeddingGenerator<string, Embedding<float>> generator, ITokenCounter? counter = null, SentenceSplitter? splitter = null)
    {
        _generator = generator ?? throw new ArgumentNullException(nameof(generator));
        _chunker = new SentenceChunker(counter, splitter);
    }

    /// <summary>Level-0 chunks of <paramref name="document"/> cut at semantic breakpoints (and at headings when asked).</summary>
    public async Task<IReadOnlyList<Chunk>> ChunkAsync(Document document, SemanticChunkingOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        options ??= new SemanticChunkingOptions();
        options.Validate();
        var text = document.Text;
        var sentences = _chunker.Sentences(document);
        var chunks = new List<Chunk>();
        if (sentences.Count == 0) return chunks;

        var breaks = await BreakpointsAsync(text, sentences, options, cancellationToken).ConfigureAwait(false);
        if (options.RespectSections)
            foreach (var section in document.Sections)
            {
                // The first sentence starting at or after the heading opens a new group.
                var k = FirstSentenceAtOrAfter(sentences, section.Start);
                if (k > 0 && k < sentences.Count) breaks.Add(k - 1);
            }

        var groupStart = 0;
        foreach (var end in breaks.Append(sentences.Count - 1).Order())
        {
            if (end < groupStart) continue;
            var range = new TextSpan(sentences[groupStart].Start, sentences[end].End);
            _chunker.ChunkRange(document, sentences, range, options.MaxTokens, options.OverlapTokens, respectSections: false, level: 0, parentId: null, chunks);
            groupStart = end + 1;
        }
        return chunks;
    }

    /// <summary>Indices i such that a chunk ends after sentence i.</summary>
    private async Task<HashSet<int>> BreakpointsAsync(string text, IReadOnlyList<TextSpan> sentences, SemanticChunkingOptions options, CancellationToken cancellationToken)
    {
        var breaks = new HashSet<int>();
        if (sentences.Count < 2) return breaks;
        var windows = new List<string>(sentences.Count);
        for (var i = 0; i < sentences.Count; i++)
        {
            var first = sentences[Math.Max(0, i - options.BufferSize)];
            var last = sentences[Math.Min(sentences.Count - 1, i + options.BufferSize)];
            windows.Add(text[first.Start..last.End]);
        }

        var embeddings = new List<Embedding<float>>(windows.Count);
        for (var b = 0; b < windows.Count; b += options.BatchSize)
        {
            var batch = windows.GetRange(b, Math.Min(options.BatchSize, windows.Count - b));
            var generated = await _generator.GenerateAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (generated.Count != batch.Count)
                throw new KnowledgeException($"the embedding generator returned {generated.Count} embeddings for {batch.Count} sentence windows; expected one per input");
            embeddings.AddRange(generated);
        }

        var distances = new double[sentences.Count - 1];
        for (var i = 0; i < distances.Length; i++) distances[i] = CosineDistance(embeddings[i].Vector.Span, embeddings[i + 1].Vector.Span);
        var threshold = Percentile(distances, options.BreakpointPercentile);
        for (var i = 0; i < distances.Length; i++)
            if (distances[i] > threshold) breaks.Add(i);
        return breaks;
    }

    private static double CosineDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new KnowledgeException($"the embedding generator returned vectors of {a.Length} and {b.Length} dimensions; expected one dimension for all");
        var similarity = TensorPrimitives.CosineSimilarity(a, b);
        // A zero vector has no direction: treat it as unrelated to its neighbour.
        return float.IsNaN(similarity) ? 1.0 : 1.0 - similarity;
    }

    private static int FirstSentenceAtOrAfter(IReadOnlyList<TextSpan> sentences, int position)
    {
        int lo = 0, hi = sentences.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sentences[mid].Start < position) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>The <paramref name="percentile"/>-th percentile with linear interpolation between ranks (numpy's default).</summary>
    internal static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = percentile / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
