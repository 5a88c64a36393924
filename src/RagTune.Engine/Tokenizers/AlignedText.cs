// Normalized text that remembers, for each of its chars, the range of input chars it came from (for token offsets).
using System.Text;

namespace RagTune.Engine.Tokenizers;

/// <param name="Starts">Start of the input range each char of <paramref name="Text"/> came from.</param>
/// <param name="Ends">End (exclusive) of that range; equal to the start for inserted chars.</param>
internal sealed record AlignedText(string Text, int[] Starts, int[] Ends)
{
    public static AlignedText Identity(string text)
    {
        var starts = new int[text.Length];
        var ends = new int[text.Length];
        for (int i = 0; i < text.Length; i++) { starts[i] = i; ends[i] = i + 1; }
        return new AlignedText(text, starts, ends);
    }

    /// <summary>Transforms each run of the input separately and concatenates the results; every output char maps to
    /// the whole run. Correct for transforms that act run by run (a run is a code point, or a cluster).</summary>
    public static AlignedText ByRuns(string text, IEnumerable<(int Start, int Length)> runs, Func<string, string> transform)
    {
        var sb = new StringBuilder(text.Length);
        var starts = new List<int>(text.Length);
        var ends = new List<int>(text.Length);
        foreach (var (start, length) in runs)
        {
            string output = transform(text.Substring(start, length));
            sb.Append(output);
            for (int k = 0; k < output.Length; k++) { starts.Add(start); ends.Add(start + length); }
        }
        return new AlignedText(sb.ToString(), starts.ToArray(), ends.ToArray());
    }

    /// <summary>One run per code point.</summary>
    public static IEnumerable<(int Start, int Length)> CodePoints(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            int length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            yield return (i, length);
            i += length - 1;
        }
    }

    /// <summary>The ranges of this text's chars expressed in the input of <paramref name="previous"/>.</summary>
    public AlignedText After(AlignedText previous)
    {
        var starts = new int[Text.Length];
        var ends = new int[Text.Length];
        for (int j = 0; j < Text.Length; j++)
        {
            int s = Starts[j], e = Ends[j];
            if (e > s)
            {
                starts[j] = previous.Starts[s];
                ends[j] = previous.Ends[e - 1];
            }
            else
            {
                starts[j] = ends[j] = previous.PositionAt(s);
            }
        }
        return new AlignedText(Text, starts, ends);
    }

    /// <summary>The input position that a boundary before char <paramref name="index"/> corresponds to.</summary>
    public int PositionAt(int index) =>
        index < Text.Length ? Starts[index] : Text.Length > 0 ? Ends[^1] : 0;
}
