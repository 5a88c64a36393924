// Finds added tokens in raw text (leftmost, longest first) and cuts the text into plain segments and token matches.
using System.Buffers;

namespace RagTune.Engine.Tokenizers;

internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;
    private readonly SearchValues<char> _firstChars;
    private readonly bool _anyNonSpecial;

    /// <summary>A piece of the input: plain text to tokenize (TokenId = -1) or an added token.</summary>
    public readonly record struct Segment(int Start, int Length, int TokenId);

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create(_byFirstChar.Keys.ToArray());
        _anyNonSpecial = _byFirstChar.Values.Any(group => group.Any(t => !t.Special));
    }

    public void Split(string text, bool parseSpecial, List<Segment> output)
    {
        if (_byFirstChar.Count == 0 || (!parseSpecial && !_anyNonSpecial))
        {
            output.Add(new Segment(0, text.Length, -1));
            return;
        }
        int plainStart = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            int found = text.AsSpan(pos).IndexOfAny(_firstChars);
            if (found < 0) break;
            pos += found;
            var token = MatchAt(text, pos, parseSpecial);
            if (token is null)
            {
                pos++;
                continue;
            }
            int start = pos, end = pos + token.Content.Length;
            if (token.LStrip)
                while (start > plainStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip)
                while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > plainStart) output.Add(new Segment(plainStart, start - plainStart, -1));
            output.Add(new Segment(start, end - start, token.Id));
            plainStart = pos = end;
        }
        if (plainStart < text.Length) output.Add(new Segment(plainStart, text.Length - plainStart, -1));
    }

    private AddedToken? MatchAt(string text, int pos, bool parseSpecial)
    {
        foreach (var token in _byFirstChar[text[pos]])
        {
            if (token.Special && !parseSpecial) continue;
            if (token.Content.Length > text.Length - pos) continue;
            if (string.CompareOrdinal(text, pos, token.Content, 0, token.Content.Length) != 0) continue;
            if (token.SingleWord)
            {
                int end = pos + token.Content.Length;
                bool gluedLeft = pos > 0 && IsWordChar(text[pos - 1]) && IsWordChar(token.Content[0]);
                bool gluedRight = end < text.Length && IsWordChar(text[end]) && IsWordChar(token.Content[^1]);
                if (gluedLeft || gluedRight) continue;
            }
            return token;
        }
        return null;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
