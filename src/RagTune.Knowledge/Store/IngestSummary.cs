// The account of one AddFolderAsync run: which files were added, updated, removed, left alone or failed, and the work done.
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Store;

public sealed record IngestSummary
{
    /// <summary>Relative paths of files indexed for the first time.</summary>
    public IReadOnlyList<string> Added { get; init; } = [];

    /// <summary>Files whose content changed and were re-indexed.</summary>
    public IReadOnlyList<string> Updated { get; init; } = [];

    /// <summary>Files gone from the folder, removed from every index.</summary>
    public IReadOnlyList<string> Removed { get; init; } = [];

    /// <summary>Files whose content hash matched: not read further, not re-indexed.</summary>
    public int Unchanged { get; init; }

    /// <summary>Files or records that could not be loaded or indexed, with the reason; the rest of the batch went on.
    /// A file that was indexed before and now fails keeps its previous version.</summary>
    public IReadOnlyList<FileIssue> Failed { get; init; } = [];

    /// <summary>Files not attempted (no loader, excluded, hidden).</summary>
    public IReadOnlyList<FileIssue> Skipped { get; init; } = [];

    /// <summary>Documents chunked and indexed in this run.</summary>
    public int DocumentsIndexed { get; init; }

    /// <summary>Chunks (all levels) written in this run.</summary>
    public int ChunksWritten { get; init; }

    /// <summary>Chunks embedded in this run.</summary>
    public int ChunksEmbedded { get; init; }

    public int Commits { get; init; }

    /// <summary>Document summaries the teacher wrote in this run (kb.json document_route.kind summary), and those taken
    /// from the summary journal instead (finished by an earlier, interrupted run).</summary>
    public int SummariesWritten { get; init; }
    public int SummariesReused { get; init; }

    /// <summary>One account of several runs (a `kb add` of several paths).</summary>
    public static IngestSummary Combine(IReadOnlyList<IngestSummary> runs) => runs.Count == 1 ? runs[0] : new()
    {
        Added = [.. runs.SelectMany(r => r.Added)],
        Updated = [.. runs.SelectMany(r => r.Updated)],
        Removed = [.. runs.SelectMany(r => r.Removed)],
        Unchanged = runs.Sum(r => r.Unchanged),
        Failed = [.. runs.SelectMany(r => r.Failed)],
        Skipped = [.. runs.SelectMany(r => r.Skipped)],
        DocumentsIndexed = runs.Sum(r => r.DocumentsIndexed),
        ChunksWritten = runs.Sum(r => r.ChunksWritten),
        ChunksEmbedded = runs.Sum(r => r.ChunksEmbedded),
        Commits = runs.Sum(r => r.Commits),
        SummariesWritten = runs.Sum(r => r.SummariesWritten),
        SummariesReused = runs.Sum(r => r.SummariesReused),
    };
}
