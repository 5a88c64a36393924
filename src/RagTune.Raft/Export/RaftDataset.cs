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
        var records = Journal<RaftChunkRecord>.ReadAll(dir.JournalPath, RaftJson.Lines).OrderBy(r => r.ChunkIndex).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var examples = new List<RaftExample>();
        var duplicates = 0;
        foreach (var e in records.SelectMany(r => r.Examples))
        {
            if (seen.Add(TextNormalization.QuestionKey(e.Question)))
                examples.Add(e);
            else
                duplicates++;
        }
        return new RaftDataset(examples, records.Count, duplicates, seed);
    }
}
