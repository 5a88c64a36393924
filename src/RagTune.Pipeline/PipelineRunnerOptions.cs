// Options for PipelineRunner: an injected teacher (tests, or a local model as teacher) and progress lines.
using Microsoft.Extensions.AI;

namespace RagTune.Pipeline;

public sealed class PipelineRunnerOptions
{
    /// <summary>Used instead of the OpenAI-compatible endpoint in raft.teacher when set.</summary>
    public IChatClient? Teacher { get; init; }

    /// <summary>Name recorded for an injected teacher (part of the RAFT stage's stamp).</summary>
    public string TeacherName { get; init; } = "injected";

    public IProgress<string>? Progress { get; init; }
}

public enum StageOutcome
{
    Ran,
    Skipped,
}

/// <summary>What a run did per stage, and where the report is.</summary>
public sealed record PipelineResult(IReadOnlyDictionary<string, StageOutcome> Stages, string ReportPath, string JsonPath, string Table);
