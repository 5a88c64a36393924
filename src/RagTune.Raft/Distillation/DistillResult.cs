// What a distillation run did, over the whole run directory.
using RagTune.Raft.Generation;

namespace RagTune.Raft.Distillation;

public sealed record DistillResult(
    RaftStopReason StopReason,
    int Total,
    int Done,
    int Resumed,
    int Kept,
    int Failed,
    long Calls,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    long CallsThisSession);
