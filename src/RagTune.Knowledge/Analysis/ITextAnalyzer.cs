// The analyzer contract shared by indexing and querying: text → terms with character offsets and positions.
namespace RagTune.Knowledge.Analysis;

public interface ITextAnalyzer
{
    /// <summary>Terms of <paramref name="text"/> in order; offsets index into the original (un-normalised) string.</summary>
    IReadOnlyList<AnalyzedToken> Analyze(string text);
}

/// <summary>
/// One term. <see cref="Start"/>/<see cref="End"/> are UTF-16 offsets [Start, End) in the text given to Analyze;
/// <see cref="Position"/> is the token's ordinal in the stream (removed stop words still use up a position; jieba
/// search-mode sub-words share the position of the word they are part of).
/// </summary>
public readonly record struct AnalyzedToken(string Term, int Start, int End, int Position);
