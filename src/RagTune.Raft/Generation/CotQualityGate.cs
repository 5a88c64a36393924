// The quality gate for chain-of-thought answers: every quote must really be in the oracle, and a short final answer must exist.
namespace RagTune.Raft.Generation;

/// <summary>Why an answer was rejected.</summary>
public enum DropReason
{
    Empty,
    MissingAnswer,
    AnswerTooLong,
    MissingQuote,
    UnbalancedQuote,
    InventedQuote,
}

/// <summary>Outcome of <see cref="CotQualityGate.Check"/>; <see cref="FinalAnswer"/> is the text after the answer marker.</summary>
public sealed record CotCheck(DropReason? Reason, string FinalAnswer, IReadOnlyList<string> Quotes)
{
    public bool Passed => Reason is null;
}

public static class CotQualityGate
{
    /// <summary>
    /// Checks, in order: non-empty; the answer marker present with a non-empty final answer no longer than the limit;
    /// quote markers balanced; at least one quote when required; each quote, whitespace-normalised, a substring of the
    /// whitespace-normalised oracle (surrounding quotation marks and ellipses ignored).
    /// </summary>
    public static CotCheck Check(string answer, string oracle, RaftOptions options)
    {
        if (string.IsNullOrWhiteSpace(answer))
            return new(DropReason.Empty, "", []);
        var f = options.Format;
        var at = answer.LastIndexOf(f.AnswerMarker, StringComparison.Ordinal);
        if (at < 0)
            return new(DropReason.MissingAnswer, "", []);
        var final = answer[(at + f.AnswerMarker.Length)..].Trim();
        if (final.Length == 0)
            return new(DropReason.MissingAnswer, "", []);
        if (final.Length > options.MaxFinalAnswerChars)
            return new(DropReason.AnswerTooLong, final, []);
        var quotes = new List<string>();
        var pos = 0;
        while (true)
        {
            var b = answer.IndexOf(f.QuoteBegin, pos, StringComparison.Ordinal);
            var stray = answer.IndexOf(f.QuoteEnd, pos, StringComparison.Ordinal);
            if (b < 0)
            {
                if (stray >= 0)
                    return new(DropReason.UnbalancedQuote, final, quotes);
                break;
            }
            if (stray >= 0 && stray < b)
                return new(DropReason.UnbalancedQuote, final, quotes);
            var e = answer.IndexOf(f.QuoteEnd, b + f.QuoteBegin.Length, StringComparison.Ordinal);
            if (e < 0)
                return new(DropReason.UnbalancedQuote, final, quotes);
            quotes.Add(answer[(b + f.QuoteBegin.Length)..e]);
            pos = e + f.QuoteEnd.Length;
        }
        if (quotes.Count == 0 && options.RequireQuote)
            return new(DropReason.MissingQuote, final, quotes);
        var source = TextNormalization.Whitespace(oracle);
        foreach (var q in quotes)
        {
            var n = TextNormalization.Whitespace(q).Trim(' ', '"', '\'', '“', '”', '‘', '’', '「', '」', '『', '』').Trim();
            if (n.StartsWith("...", StringComparison.Ordinal)) n = n[3..].Trim();
            if (n.EndsWith("...", StringComparison.Ordinal)) n = n[..^3].Trim();
            if (n.Length == 0 || !source.Contains(n, StringComparison.Ordinal))
                return new(DropReason.InventedQuote, final, quotes);
        }
        return new(null, final, quotes);
    }
}
