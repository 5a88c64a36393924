// What generation streams: one update per generated token, the last one carrying the finish reason and usage.
namespace RagTune.Engine.Generation;

public enum FinishReason
{
    /// <summary>A stop token id or stop string ended the text.</summary>
    Stop,

    /// <summary>MaxTokens were generated (or the context is full).</summary>
    Length,
}

/// <summary>A streamed piece: <paramref name="Text"/> is what may be shown now (possibly empty while UTF-8 bytes or a
/// possible stop string are pending); <paramref name="TokenId"/> is the generated id — on the final update, the stop
/// token that ended generation (never decoded into text), or null.</summary>
public sealed record GenerationUpdate(string Text, int? TokenId, FinishReason? FinishReason = null, GenerationUsage? Usage = null);

/// <summary>Token counts and timings of one generation.</summary>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, TimeSpan PrefillTime, TimeSpan DecodeTime)
{
    public int TotalTokens => PromptTokens + CompletionTokens;

    public double PrefillTokensPerSecond => PrefillTime > TimeSpan.Zero ? PromptTokens / PrefillTime.TotalSeconds : 0;

    /// <summary>Generated tokens after the first (each one a decode step) per second of decoding.</summary>
    public double DecodeTokensPerSecond => DecodeTime > TimeSpan.Zero ? Math.Max(0, CompletionTokens - 1) / DecodeTime.TotalSeconds : 0;
}
