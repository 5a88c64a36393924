// Progress of a generation or distillation run, reported after each finished chunk/item.
namespace RagTune.Raft.Generation;

/// <summary><see cref="Eta"/> is null until something finished in this session.</summary>
public sealed record RaftProgress(
    int Done,
    int Total,
    int Examples,
    long Calls,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    TimeSpan Elapsed,
    TimeSpan? Eta);
