// A system under evaluation (a model closed-book, a model + retrieval, a remote endpoint…) and what it returns.
using RagTune.Eval.Data;

namespace RagTune.Eval.Systems;

public interface IEvalSystem
{
    /// <summary>Unique within a run; it keys the resumable results file.</summary>
    string Name { get; }

    Task<SystemAnswer> AnswerAsync(EvalItem item, CancellationToken cancellationToken);
}

/// <summary>A document the system put in front of the model; <see cref="IsOracle"/> when the system knows it is the oracle.</summary>
public sealed record RetrievedDocument(string Id, string Text, bool? IsOracle = null, double? Score = null);

/// <summary>The raw answer text, the documents the model saw (null for closed-book) and the time it took.</summary>
public sealed record SystemAnswer(string Text, IReadOnlyList<RetrievedDocument>? Documents = null, TimeSpan Latency = default);
