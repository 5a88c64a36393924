// Everything a folder load produced: per-file/record results in path order and the summary.
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Loading;

public sealed record DocumentReadResult(IReadOnlyList<DocumentLoadResult> Results, LoadSummary Summary)
{
    public IEnumerable<Document> Documents => Results.Where(r => r.Document is not null).Select(r => r.Document!);
}
