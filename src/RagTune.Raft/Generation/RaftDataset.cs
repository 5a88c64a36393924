// The finished examples of a run, read back from its journal in chunk order with duplicate questions removed.
using System.Text.Json.Nodes;
using RagTune.Knowledge;
using RagTune.Knowledge.Rag;
using RagTune.Raft.Runs;

namespace RagTune.Raft.Generation;

/// <summary>
/// Examples ordered by chunk (source order) then question; a question whose normalised form (NFKC, lower case, letters
/// and digits) already appeared earlier in the dataset is removed and counted in <see cref="DuplicatesRemoved"/>.
/// <see cref="Format"/> is the prompt the examples' instructions were built with.
/// </summary>
public sealed record RaftDataset(IReadOnlyList<RaftExample> Examples, int Chunks, int DuplicatesRemoved, ulong Seed, RagPromptFormat Format)
{
    public static RaftDataset Load(string runDirectory)
    {
        var dir = RunDirectory.OpenExisting(runDirectory, RaftGenerator.RunKind);
        var settings = dir.ReadSettings();
        var seed = (ulong?)settings["seed"] ?? 0;
        var records = Journal<RaftChunkRecord>.ReadAll(dir.JournalPath, RaftJson.Lines);
        var examples = Deduplicate(records);
        var duplicates = records.Sum(r => r.Examples.Count) - examples.Count;
        return new RaftDataset(examples, records.Count, duplicates, seed, ReadFormat(dir.Path, settings));
    }

    /// <summary>The run's rag_format.json; runs made before it was written have the templates and markers in their
    /// settings (missing ones were the defaults).</summary>
    private static RagPromptFormat ReadFormat(string runDirectory, JsonObject settings)
    {
        try
        {
            if (RagPromptFormat.TryLoadFrom(runDirectory) is { } recorded) return recorded;
        }
        catch (KnowledgeException e)
        {
            throw new RaftException(e.Message, e);
        }
        var d = RagPromptFormat.Default;
        string Setting(string key, string fallback) => settings[key]?.GetValue<string>() ?? fallback;
        return new RagPromptFormat
        {
            DocumentTemplate = Setting("document_template", d.DocumentTemplate),
            InstructionTemplate = Setting("instruction_template", d.InstructionTemplate),
            AnswerMarker = Setting("answer_marker", d.AnswerMarker),
            QuoteBegin = Setting("quote_begin", d.QuoteBegin),
            QuoteEnd = Setting("quote_end", d.QuoteEnd),
        };
    }

    /// <summary>The examples in chunk order, without questions already asked for an earlier chunk.</summary>
    internal static List<RaftExample> Deduplicate(IEnumerable<RaftChunkRecord> records)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return records.OrderBy(r => r.ChunkIndex).SelectMany(r => r.Examples)
            .Where(e => seen.Add(TextNormalization.QuestionKey(e.Question))).ToList();
    }
}
