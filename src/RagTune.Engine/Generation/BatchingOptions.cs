// How a TextGenerator runs concurrent generations on its one model (continuous batching, DecodeBatcher).
namespace RagTune.Engine.Generation;

public sealed record BatchingOptions
{
    /// <summary>Generations decoded together, at most; further ones wait in order until one ends (or is cancelled).</summary>
    public int MaxStreams { get; init; } = 8;

    /// <summary>Prompt tokens one step runs at most, over all prefilling streams: a long prompt is fed in chunks of this
    /// size between decode steps, so it never stalls the streams that are already generating for a whole prompt.</summary>
    public int PrefillTokensPerStep { get; init; } = 256;

    internal void Validate()
    {
        if (MaxStreams < 1) throw new ArgumentException($"batching: max streams must be at least 1, got {MaxStreams}");
        if (PrefillTokensPerStep < 1)
            throw new ArgumentException($"batching: prefill tokens per step must be at least 1, got {PrefillTokensPerStep}");
    }
}
