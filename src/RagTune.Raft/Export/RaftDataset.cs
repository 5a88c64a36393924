// The finished examples of a run, read back from its journal in chunk order with duplicate questions removed.
using RagTune.Raft.Generation;
using RagTune.Raft.Runs;

namespace RagTune.Raft.Export;

/// <summary>
/// Examples ordered by chunk (source order) then question; a question whose normalised form (NFKC, lower case, letters
/// and digits) already appeared earlier in the dataset is removed and counted in <see cref="DuplicatesRemoved"/>.
/// </summary>
public sealed record RaftDataset(IReadOnlyList<RaftExample> Examples, int Chunks, int DuplicatesRemoved, ulong Seed)
{
    public static RaftDataset Load(string runDirectory)
    {
        var dir = RunDirectory.OpenExisting(runDirectory, RaftGenerator.RunKind);
        var seed = (ulong?)dir.ReadSettings()["seed"] ?? 0;
        var records = Journal<RaftChunkRecord>.ReadAll(dir.JournalPath, RaftJson.Lines);
        var examples = Deduplicate(records);
        var duplicates = records.Sum(r => r.Examples.Count) - examples.Count;
        return new RaftDataset(examples, records.Count, duplicates, seed);
    }

    /// <summary>The examples in chunk order, without questions already asked for an earlier chunk.</summary>
    internal static List<RaftExample> Deduplicate(IEnumerable<RaftChunkRecord> records)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return records.OrderBy(r => r.ChunkIndex).SelectMany(r => r.Examples)
            .Where(e => seen.Add(TextNormalization.QuestionKey(e.Question))).ToList();
    }
}
