// Hard negatives: chunks that look relevant to a question but come from other documents (used for distractors and embedding negatives).
namespace RagTune.Raft.Sources;

/// <summary>Retrieves chunks similar to a query, excluding the oracle's own document.</summary>
public interface IHardNegativeProvider
{
    /// <summary>
    /// Returns up to <paramref name="count"/> chunks ranked by similarity to <paramref name="query"/>, none from
    /// <paramref name="oracle"/>'s document. Must be deterministic for the same inputs (RAFT runs are reproducible).
    /// </summary>
    Task<IReadOnlyList<RaftChunk>> FindSimilarAsync(string query, RaftChunk oracle, int count, CancellationToken cancellationToken = default);
}
