// Builds an example's context: the oracle with probability P plus distractors from other documents, shuffled.
using RagTune.Raft.Sources;

namespace RagTune.Raft.Generation;

internal sealed class ContextAssembler
{
    private readonly IReadOnlyList<RaftChunk> _chunks;
    private readonly RaftOptions _options;
    private readonly IHardNegativeProvider? _hard;

    public ContextAssembler(IReadOnlyList<RaftChunk> chunks, RaftOptions options, IHardNegativeProvider? hard)
    {
        if (options.DistractorMode == DistractorMode.Hard && hard is null)
            throw new RaftException("distractor mode 'hard' needs a hard-negative provider (a knowledge base), but none was given");
        _chunks = chunks;
        _options = options;
        _hard = hard;
        var needed = options.OracleProbability < 1 ? options.Distractors + 1 : options.Distractors;
        var perDocument = chunks.GroupBy(c => c.DocumentId).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (doc, count) in perDocument)
            if (chunks.Count - count < needed)
                throw new RaftException($"document '{doc}' has only {chunks.Count - count} chunks in other documents, but each example needs {needed} distractors " +
                    $"(k = {options.Distractors}{(options.OracleProbability < 1 ? ", plus one to replace the oracle when P < 1" : "")}): add documents or lower --distractors");
    }

    /// <summary>
    /// Draws, in this order from <paramref name="rng"/>: whether the oracle is included (P), the distractors (hard negatives
    /// first when asked for, topped up at random; never the oracle's document, never twice), then the shuffle.
    /// </summary>
    public async Task<(List<RaftChunk> Documents, bool OracleIncluded)> AssembleAsync(RaftChunk oracle, string question, ChunkRandom rng, CancellationToken cancellationToken)
    {
        var include = rng.NextDouble() < _options.OracleProbability;
        var need = include ? _options.Distractors : _options.Distractors + 1;
        var chosen = new List<RaftChunk>(need + 1);
        var ids = new HashSet<string>(StringComparer.Ordinal) { oracle.Id };
        if (_options.DistractorMode == DistractorMode.Hard && need > 0)
        {
            var candidates = await _hard!.FindSimilarAsync(question, oracle, need, cancellationToken).ConfigureAwait(false);
            foreach (var c in candidates)
                if (chosen.Count < need && c.DocumentId != oracle.DocumentId && ids.Add(c.Id))
                    chosen.Add(c);
        }
        while (chosen.Count < need)
        {
            var c = _chunks[rng.Next(_chunks.Count)];
            if (c.DocumentId != oracle.DocumentId && ids.Add(c.Id))
                chosen.Add(c);
        }
        if (include)
            chosen.Add(oracle);
        rng.Shuffle(chosen);
        return (chosen, include);
    }
}
