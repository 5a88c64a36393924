// Reads RAFT-style chain-of-thought outputs: the final answer after the last `<ANSWER>:` and the
// `##begin_quote##…##end_quote##` spans the model cites.
namespace RagTune.Eval.Metrics;

public static class RaftAnswer
{
    public const string AnswerMarker = "<ANSWER>:";
    public const string BeginQuote = "##begin_quote##";
    public const string EndQuote = "##end_quote##";

    /// <summary>The text after the last <c>&lt;ANSWER&gt;:</c>, trimmed; the whole text trimmed when there is no marker.</summary>
    public static string FinalAnswer(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int at = output.LastIndexOf(AnswerMarker, StringComparison.Ordinal);
        return (at < 0 ? output : output[(at + AnswerMarker.Length)..]).Trim();
    }

    /// <summary>The quoted spans in order. An unterminated begin marker quotes nothing (the output was cut off).</summary>
    public static List<string> Quotes(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var quotes = new List<string>();
        int pos = 0;
        while (true)
        {
            int b = output.IndexOf(BeginQuote, pos, StringComparison.Ordinal);
            if (b < 0) break;
            int start = b + BeginQuote.Length;
            int e = output.IndexOf(EndQuote, start, StringComparison.Ordinal);
            if (e < 0) break;
            quotes.Add(output[start..e]);
            pos = e + EndQuote.Length;
        }
        return quotes;
    }
}
