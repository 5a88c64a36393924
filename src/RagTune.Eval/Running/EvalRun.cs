// A finished evaluation: the items, the systems, every (system, item) result and the per-system summaries — what the reports render.
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;

namespace RagTune.Eval.Running;

public sealed record EvalRun(
    string Title,
    DateTimeOffset CreatedAt,
    int Seed,
    IReadOnlyList<string> Systems,
    IReadOnlyList<EvalItem> Items,
    IReadOnlyList<ItemResult> Results,
    IReadOnlyList<SystemSummary> Summaries);

/// <summary>Progress after each finished (system, item): how many of the total are done, counting resumed ones.</summary>
public sealed record EvalProgress(int Done, int Total, string System, string ItemId, bool Failed);
