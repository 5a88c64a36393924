// SentencePiece's compiled normalization rules (tokenizer.json "Precompiled", a model proto's precompiled_charsmap; the
// nmt_nfkc rules of XLM-R, bge-m3 and the bge-rerankers): a Darts double-array trie over UTF-8 keys whose values point
// into a blob of NUL-terminated replacement strings. Applied as Hugging Face tokenizers applies it (normalizers/
// precompiled.rs with the spm_precompiled crate): grapheme by grapheme, a whole grapheme of under 6 UTF-8 bytes replaced
// by the value of its shortest matching prefix, else each code point on its own.
// Blob layout: u32 LE trie size in bytes, the trie as u32 LE units, then the replacement strings.
using System.Globalization;
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal sealed class PrecompiledNormalizer : Normalizer
{
    private readonly uint[] _units;                          // the double array
    private readonly Dictionary<int, string> _replacements;  // blob offset → replacement, every one the trie can reach

    private PrecompiledNormalizer(uint[] units, Dictionary<int, string> replacements)
    {
        _units = units;
        _replacements = replacements;
    }

    /// <summary>Parses and checks a charsmap; <paramref name="error"/> builds the exception for a malformed one
    /// (argument: what is wrong).</summary>
    public static PrecompiledNormalizer Parse(ReadOnlySpan<byte> charsmap, Func<string, EngineException> error)
    {
        if (charsmap.Length < 4) throw error($"{charsmap.Length} bytes, too short for the trie size that starts it");
        uint trieBytes = BitConverter.ToUInt32(charsmap[..4]);
        if (trieBytes % 4 != 0 || trieBytes > charsmap.Length - 4 || trieBytes == 0)
            throw error($"a trie of {trieBytes} bytes in a charsmap of {charsmap.Length} bytes (the trie size must be a non-zero multiple of 4 that fits)");
        var units = new uint[trieBytes / 4];
        for (int i = 0; i < units.Length; i++) units[i] = BitConverter.ToUInt32(charsmap.Slice(4 + 4 * i, 4));
        var blob = charsmap[(4 + (int)trieBytes)..];
        try
        {
            new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(blob);
        }
        catch (DecoderFallbackException)
        {
            throw error("replacement strings that are not valid UTF-8");
        }

        // Walk the whole trie once: every value must point into the blob, and each replacement is decoded up front.
        var replacements = new Dictionary<int, string>();
        var seen = new HashSet<uint>();
        var pending = new Stack<uint>();
        uint root = Offset(units[0]);
        pending.Push(root);
        seen.Add(root);
        while (pending.Count > 0)
        {
            uint node = pending.Pop();
            for (uint c = 1; c < 256; c++)
            {
                uint child = node ^ c;
                if (child >= units.Length || Label(units[child]) != c) continue;
                uint next = child ^ Offset(units[child]);
                if (HasLeaf(units[child]))
                {
                    if (next >= units.Length) throw error($"a trie leaf at unit {next}, past the trie's {units.Length} units");
                    int value = (int)(units[next] & 0x7FFFFFFF);
                    if (value >= blob.Length) throw error($"a replacement at byte {value}, past the {blob.Length} bytes of replacement strings");
                    if (!replacements.ContainsKey(value))
                    {
                        int end = blob[value..].IndexOf((byte)0);
                        replacements[value] = Encoding.UTF8.GetString(end < 0 ? blob[value..] : blob.Slice(value, end));
                    }
                }
                if (next < units.Length && seen.Add(next)) pending.Push(next);
            }
        }
        return new PrecompiledNormalizer(units, replacements);
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);
    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    /// <summary>The replacement of the shortest prefix of <paramref name="key"/> (UTF-8, up to a NUL) that the trie holds.</summary>
    private string? Transform(ReadOnlySpan<byte> key)
    {
        uint node = Offset(_units[0]);
        foreach (byte c in key)
        {
            if (c == 0) break;
            node ^= c;
            if (node >= _units.Length) return null;
            uint unit = _units[node];
            if (Label(unit) != c) return null;
            node ^= Offset(unit);
            if (HasLeaf(unit) && node < _units.Length) return _replacements[(int)(_units[node] & 0x7FFFFFFF)];
        }
        return null;
    }

    /// <summary>SentencePiece's own lookup (normalizer.cc, llama.cpp's UGM): the longest prefix of <paramref name="input"/>
    /// (UTF-8, up to a NUL) that the trie holds; its length in bytes (0: none) and its replacement.</summary>
    public int LongestPrefix(ReadOnlySpan<byte> input, out string? replacement)
    {
        replacement = null;
        int length = 0;
        uint node = Offset(_units[0]);
        for (int i = 0; i < input.Length && input[i] != 0; i++)
        {
            node ^= input[i];
            if (node >= _units.Length) break;
            uint unit = _units[node];
            if (Label(unit) != input[i]) break;
            node ^= Offset(unit);
            if (HasLeaf(unit) && node < _units.Length)
            {
                length = i + 1;
                replacement = _replacements[(int)(_units[node] & 0x7FFFFFFF)];
            }
        }
        return length;
    }

    public override string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var (start, length) in Graphemes(text)) sb.Append(NormalizeGrapheme(text.AsSpan(start, length)));
        return sb.ToString();
    }

    // Graphemes are replaced independently, so each output char maps to its grapheme.
    public override AlignedText NormalizeAligned(string text) =>
        AlignedText.ByRuns(text, Graphemes(text), g => NormalizeGrapheme(g));

    private string NormalizeGrapheme(ReadOnlySpan<char> grapheme)
    {
        Span<byte> utf8 = stackalloc byte[32];
        int bytes = Encoding.UTF8.GetByteCount(grapheme);
        if (bytes < 6)
        {
            Encoding.UTF8.GetBytes(grapheme, utf8);
            if (Transform(utf8[..bytes]) is { } whole) return whole;
        }
        var sb = new StringBuilder(grapheme.Length);
        for (int i = 0; i < grapheme.Length;)
        {
            int length = char.IsHighSurrogate(grapheme[i]) && i + 1 < grapheme.Length && char.IsLowSurrogate(grapheme[i + 1]) ? 2 : 1;
            var codePoint = grapheme.Slice(i, length);
            int n = Encoding.UTF8.GetBytes(codePoint, utf8);
            if (Transform(utf8[..n]) is { } replaced) sb.Append(replaced);
            else sb.Append(codePoint);
            i += length;
        }
        return sb.ToString();
    }

    /// <summary>Extended grapheme clusters (Unicode UAX #29), as .NET's text elements are.</summary>
    private static IEnumerable<(int Start, int Length)> Graphemes(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            int length = StringInfo.GetNextTextElementLength(text.AsSpan(i));
            yield return (i, length);
            i += length;
        }
    }
}
