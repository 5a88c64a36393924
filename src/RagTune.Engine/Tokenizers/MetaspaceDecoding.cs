// Decoding shared by the SentencePiece-style tokenizers (BPE and Unigram): "▁" is a space, <0xNN> tokens are raw bytes
// (byte fallback), and the one space the Metaspace step put before the text is dropped from the first token.
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal static class MetaspaceDecoding
{
    public static void AppendToken(string token, bool first, bool stripLeadingSpace, bool byteTokens, List<byte> output)
    {
        if (byteTokens && TryParseByteToken(token, out byte b))
        {
            output.Add(b);
            return;
        }
        string text = token.Replace('\u2581', ' ');
        if (first && stripLeadingSpace && text.StartsWith(' ')) text = text[1..];
        output.AddRange(Encoding.UTF8.GetBytes(text));
    }

    public static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }
}
