// SentencePiece's own normalizer, as llama.cpp's UGM tokenizer applies it to GGUF "t5" vocabularies (llama-vocab.cpp,
// after sentencepiece's normalizer.cc): user-defined tokens pass unchanged, else the longest charsmap rule at each
// position, else one character; then whitespace: runs merged (remove_extra_whitespaces, which also drops leading and
// trailing spaces), one space before the text (add_space_prefix), spaces written as "▁". sentencepiece itself (a
// tokenizer.model) puts that space before any non-empty text, whitespace-only included; llama.cpp before its first word.
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal sealed class SentencePieceNormalizer(PrecompiledNormalizer? charsmap, IReadOnlyList<string> userDefined,
    bool addSpacePrefix, bool removeExtraWhitespaces, bool prefixBeforeAnyText = false) : Normalizer
{
    private readonly byte[][] _userDefined = userDefined.Where(t => t.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();
    private static readonly byte[] Space = Encoding.UTF8.GetBytes("\u2581");

    public override string Normalize(string text)
    {
        byte[] input = Encoding.UTF8.GetBytes(text);
        var output = new List<byte>(input.Length * 3 / 2 + 4);
        bool prepended = false, inWord = false;
        if (prefixBeforeAnyText && addSpacePrefix && !removeExtraWhitespaces && input.Length > 0)
        {
            output.AddRange(Space);
            prepended = true;
        }
        for (int at = 0; at < input.Length;)
        {
            var (replacement, consumed) = NormalizePrefix(input.AsSpan(at));
            foreach (byte c in replacement)
            {
                if (c != (byte)' ')
                {
                    if (!inWord)
                    {
                        inWord = true;
                        if ((addSpacePrefix && !prepended) || removeExtraWhitespaces)
                        {
                            output.AddRange(Space);
                            prepended = true;
                        }
                    }
                    output.Add(c);
                }
                else
                {
                    inWord = false;
                    if (!removeExtraWhitespaces) output.AddRange(Space);
                }
            }
            at += consumed;
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output));
    }

    /// <summary>What the input's next bytes become, and how many they are.</summary>
    private (byte[] Output, int Consumed) NormalizePrefix(ReadOnlySpan<byte> input)
    {
        int user = 0;
        foreach (var token in _userDefined)
            if (token.Length > user && input.StartsWith(token)) user = token.Length;
        if (user > 0) return (input[..user].ToArray(), user);
        if (charsmap is not null && charsmap.LongestPrefix(input, out string? replacement) is int length and > 0)
            return (Encoding.UTF8.GetBytes(replacement!), length);
        // The input came from a .NET string whose lone surrogates were replaced, so it is valid UTF-8.
        Rune.DecodeFromUtf8(input, out _, out int used);
        return (input[..used].ToArray(), used);
    }
}
