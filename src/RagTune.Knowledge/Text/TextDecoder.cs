// Detects the encoding of a text file (BOMs, strict UTF-8, BOM-less UTF-16, GB18030) and rejects binary content.
using System.Text;

namespace RagTune.Knowledge.Text;

public static class TextDecoder
{
    private const int SampleBytes = 64 * 1024;
    // Share of control characters above which decoded "text" is really binary data.
    private const double MaxControlShare = 0.05;

    static TextDecoder() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Decodes <paramref name="bytes"/>; throws <see cref="KnowledgeException"/> naming <paramref name="name"/> when the
    /// content is binary or no supported encoding decodes it cleanly.</summary>
    public static DecodedText Decode(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var b = bytes.AsSpan();
        if (b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00])) return WithBom(bytes, 4, new UTF32Encoding(false, false, true), "UTF-32LE", name);
        if (b.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])) return WithBom(bytes, 4, new UTF32Encoding(true, false, true), "UTF-32BE", name);
        if (b.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return WithBom(bytes, 3, new UTF8Encoding(false, true), "UTF-8", name);
        if (b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return WithBom(bytes, 2, new UnicodeEncoding(false, false, true), "UTF-16LE", name);
        if (b.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return WithBom(bytes, 2, new UnicodeEncoding(true, false, true), "UTF-16BE", name);
        if (bytes.Length == 0) return new DecodedText("", "UTF-8");

        var sample = b[..Math.Min(b.Length, SampleBytes)];
        if (sample.Contains((byte)0))
        {
            var utf16 = GuessUtf16(sample);
            if (utf16 is { } bigEndian && TryDecode(bytes, new UnicodeEncoding(bigEndian, false, true), out var text) && !LooksBinary(text))
                return new DecodedText(text, bigEndian ? "UTF-16BE" : "UTF-16LE");
            throw Binary(name, "NUL bytes outside a UTF-16 pattern");
        }
        if (TryDecode(bytes, new UTF8Encoding(false, true), out var utf8)) return Checked(utf8, "UTF-8", name);

        var gb18030 = Encoding.GetEncoding("GB18030", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        if (TryDecode(bytes, gb18030, out var gb) && RoundTrips(gb, gb18030, bytes)) return Checked(gb, "GB18030", name);
        throw new KnowledgeException(
            $"cannot read '{name}': bytes are neither valid UTF-8 nor GB18030 and there is no BOM (expected UTF-8, UTF-16, UTF-32 or GB18030 text)");
    }

    /// <summary>BOM-less UTF-16: ASCII-range characters leave a NUL in every other byte (odd offsets for LE, even for BE).
    /// Returns true for big-endian, false for little-endian, null when the NULs do not follow that pattern.</summary>
    private static bool? GuessUtf16(ReadOnlySpan<byte> sample)
    {
        var pairs = sample.Length / 2;
        if (pairs == 0) return null;
        int even = 0, odd = 0;
        for (var i = 0; i + 1 < sample.Length; i += 2)
        {
            if (sample[i] == 0) even++;
            if (sample[i + 1] == 0) odd++;
        }
        if (odd > 0 && odd >= pairs / 10 && even <= pairs / 100) return false;
        if (even > 0 && even >= pairs / 10 && odd <= pairs / 100) return true;
        return null;
    }

    private static DecodedText WithBom(byte[] bytes, int bomLength, Encoding encoding, string encodingName, string name)
    {
        try
        {
            return Checked(encoding.GetString(bytes, bomLength, bytes.Length - bomLength), encodingName, name);
        }
        catch (DecoderFallbackException e)
        {
            throw new KnowledgeException($"cannot read '{name}': a {encodingName} byte-order mark is followed by invalid {encodingName} bytes at offset {bomLength + Math.Max(0, e.Index)}", e);
        }
    }

    private static DecodedText Checked(string text, string encodingName, string name) =>
        LooksBinary(text) ? throw Binary(name, "mostly control characters") : new DecodedText(text, encodingName);

    private static bool TryDecode(byte[] bytes, Encoding encoding, out string text)
    {
        try
        {
            text = encoding.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private static bool RoundTrips(string text, Encoding encoding, byte[] bytes)
    {
        try
        {
            return encoding.GetBytes(text).AsSpan().SequenceEqual(bytes);
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    private static bool LooksBinary(string text)
    {
        var n = Math.Min(text.Length, SampleBytes);
        if (n == 0) return false;
        var control = 0;
        for (var i = 0; i < n; i++)
        {
            var c = text[i];
            if (c is '\uFFFD' or '\0' || (char.IsControl(c) && c is not ('\t' or '\n' or '\r' or '\f'))) control++;
        }
        return control > n * MaxControlShare;
    }

    private static KnowledgeException Binary(string name, string found) =>
        new($"cannot read '{name}': binary file, not text (found {found}; expected UTF-8, UTF-16, UTF-32 or GB18030 text)");
}
