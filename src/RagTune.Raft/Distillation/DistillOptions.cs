// Settings of a CoT distillation run: prompt, answer marker, retries, comparison tolerance, sampling.
using RagTune.Knowledge.Rag;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Distillation;

public sealed class DistillOptions
{
    /// <summary>Teacher calls per item before it goes to the left-over file.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Relative tolerance (times max(1, |reference|)) for numeric answers.</summary>
    public double Tolerance { get; set; } = 1e-6;

    /// <summary>Sampling temperature; above 0 so that a retry can take another path. Null = server default.</summary>
    public float? Temperature { get; set; } = 0.7f;

    public int? MaxOutputTokens { get; set; }

    public string AnswerMarker { get; set; } = RagPromptFormat.Default.AnswerMarker;

    /// <summary>Null = detect from the question's CJK share.</summary>
    public RaftLanguage? Language { get; set; }

    /// <summary>Prompt templates with {question} and {answer_marker}; defaults are the built-in resources.</summary>
    public string PromptEn { get; set; } = RaftPrompts.Resource("distill_en.txt");

    public string PromptZh { get; set; } = RaftPrompts.Resource("distill_zh.txt");

    public int ItemConcurrency { get; set; } = 4;

    internal void Validate()
    {
        if (MaxAttempts < 1)
            throw new RaftException($"distill max attempts {MaxAttempts} is invalid: expected at least 1");
        if (Tolerance < 0 || double.IsNaN(Tolerance))
            throw new RaftException($"distill tolerance {Tolerance} is invalid: expected ≥ 0");
        if (ItemConcurrency < 1)
            throw new RaftException($"distill concurrency {ItemConcurrency} is invalid: expected at least 1");
        if (!PromptEn.Contains("{question}") || !PromptZh.Contains("{question}"))
            throw new RaftException("distill prompt lacks the {question} placeholder");
    }

}
