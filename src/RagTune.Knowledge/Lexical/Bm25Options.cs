// Options of a BM25 index: the Okapi parameters and the analyzer used for both documents and queries.
using RagTune.Knowledge.Analysis;

namespace RagTune.Knowledge.Lexical;

public sealed record Bm25Options
{
    /// <summary>Term-frequency saturation (Okapi k1).</summary>
    public double K1 { get; init; } = 1.2;

    /// <summary>Document-length normalisation (Okapi b, 0 = none, 1 = full).</summary>
    public double B { get; init; } = 0.75;

    /// <summary>The analyzer; recorded in the index (resolved) so that queries and reloads use the same one.</summary>
    public AnalyzerOptions Analyzer { get; init; } = new();

    internal void Validate()
    {
        if (!(K1 >= 0) || double.IsInfinity(K1)) throw new KnowledgeException($"Bm25Options.K1: found {K1}; expected a finite number >= 0.");
        if (!(B >= 0 && B <= 1)) throw new KnowledgeException($"Bm25Options.B: found {B}; expected a number in [0, 1].");
    }
}

/// <summary>One search result: the document's external id and its BM25 score.</summary>
public readonly record struct Bm25Hit(string Id, double Score);
