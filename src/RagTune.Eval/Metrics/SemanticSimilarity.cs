// Semantic similarity: cosine between the embeddings of the prediction and each reference (max over references),
// through any IEmbeddingGenerator, with the texts of many items sent in batched calls.
using Microsoft.Extensions.AI;

namespace RagTune.Eval.Metrics;

public sealed class SemanticSimilarity
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly int _batchSize;
    private readonly EmbeddingGenerationOptions? _options;

    public SemanticSimilarity(IEmbeddingGenerator<string, Embedding<float>> generator, int batchSize = 64, EmbeddingGenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (batchSize < 1) throw new EvalException($"semantic similarity batchSize: found {batchSize}; expected at least 1");
        _generator = generator;
        _batchSize = batchSize;
        _options = options;
    }

    /// <summary>One score per pair; an empty (whitespace) prediction scores 0 without being embedded.</summary>
    public async Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<(string Prediction, IReadOnlyList<string> References)> pairs,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        // Each distinct text is embedded once.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var texts = new List<string>();
        foreach (var (pred, refs) in pairs)
        {
            SquadMetric.RequireReferences(refs);
            if (string.IsNullOrWhiteSpace(pred)) continue;
            foreach (var t in refs.Prepend(pred))
                if (index.TryAdd(t, texts.Count)) texts.Add(t);
        }
        var vectors = new ReadOnlyMemory<float>[texts.Count];
        for (int start = 0; start < texts.Count; start += _batchSize)
        {
            var batch = texts.GetRange(start, Math.Min(_batchSize, texts.Count - start));
            var result = await _generator.GenerateAsync(batch, _options, cancellationToken).ConfigureAwait(false);
            if (result.Count != batch.Count)
                throw new EvalException($"embedding generator: returned {result.Count} embeddings for {batch.Count} inputs; expected one per input");
            for (int i = 0; i < batch.Count; i++) vectors[start + i] = result[i].Vector;
        }
        var scores = new double[pairs.Count];
        for (int p = 0; p < pairs.Count; p++)
        {
            var (pred, refs) = pairs[p];
            if (string.IsNullOrWhiteSpace(pred)) continue;
            var pv = vectors[index[pred]].Span;
            double best = double.NegativeInfinity;
            foreach (var r in refs) best = Math.Max(best, Cosine(pv, vectors[index[r]].Span));
            scores[p] = best;
        }
        return scores;
    }

    /// <summary>a·b / (|a| |b|) accumulated in double; 0 when either vector is zero.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new EvalException($"embeddings: found vectors of length {a.Length} and {b.Length}; expected equal lengths");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / (Math.Sqrt(na) * Math.Sqrt(nb));
    }
}
