// One evaluation question: the reference answers, the documents that come with it (oracle marked) and the ids of the
// oracle documents in a knowledge base, for retrieval recall.
namespace RagTune.Eval.Data;

/// <summary>A document given with a question; <see cref="IsOracle"/> marks the one that holds the answer.</summary>
public sealed record EvalDocument(string Id, string Text, bool IsOracle = false, string? Title = null);

public sealed record EvalItem
{
    public EvalItem(string id, string question, IReadOnlyList<string> answers, IReadOnlyList<EvalDocument>? documents = null,
        IReadOnlyList<string>? oracleIds = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(question);
        ArgumentNullException.ThrowIfNull(answers);
        if (answers.Count == 0)
            throw new EvalException($"item '{id}': answers is empty; expected at least one reference answer");
        Id = id;
        Question = question;
        Answers = answers;
        Documents = documents ?? [];
        OracleIds = oracleIds ?? Documents.Where(d => d.IsOracle).Select(d => d.Id).ToList();
    }

    public string Id { get; }
    public string Question { get; }
    public IReadOnlyList<string> Answers { get; }
    public IReadOnlyList<EvalDocument> Documents { get; }

    /// <summary>Ids of the documents that answer the question (the oracle documents, or knowledge-base chunk ids).</summary>
    public IReadOnlyList<string> OracleIds { get; }
}
