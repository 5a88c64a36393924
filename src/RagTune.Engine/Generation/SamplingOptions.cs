// How the next token is chosen, with Hugging Face generate() semantics for every knob.
namespace RagTune.Engine.Generation;

public sealed record SamplingOptions
{
    /// <summary>Divides the logits before sampling; 0 means greedy (argmax, HF do_sample=False).</summary>
    public float Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens (ties with the k-th kept, as HF does); 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p; 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>HF RepetitionPenaltyLogitsProcessor: logits of tokens already in the sequence (prompt included) are
    /// divided by this when positive and multiplied when negative; 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Seed of the sampler's random stream; null draws one. Same seed, same model, same prompt → same text.</summary>
    public ulong? Seed { get; init; }

    public bool IsGreedy => Temperature <= 0 || TopK == 1;

    internal void Validate()
    {
        // One-line messages: the CLI shows them as they are.
        if (float.IsNaN(Temperature) || Temperature < 0) throw new ArgumentException($"temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top-k must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p must be in (0, 1], got {TopP}");
        if (!(RepetitionPenalty > 0)) throw new ArgumentException($"repetition penalty must be > 0, got {RepetitionPenalty}");
    }
}
