// GPT-2's bytes_to_unicode table: every byte maps to a printable character so byte-level BPE vocabularies are text.
namespace RagTune.Engine.Tokenizers;

internal static class ByteLevelAlphabet
{
    /// <summary>Character standing for each byte value.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Byte value of each mapped character (index = char, -1 where a char is not part of the alphabet).</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    private static char[] BuildByteToChar()
    {
        // Printable Latin-1 bytes stand for themselves; the rest are shifted to 256, 257, … in byte order.
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var inverse = new short[324];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++) inverse[ByteToChar[b]] = (short)b;
        return inverse;
    }

    /// <summary>Maps UTF-8 bytes to their alphabet string.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        string.Create(bytes.Length, bytes, static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++) chars[i] = ByteToChar[source[i]];
        });

    /// <summary>Appends the bytes a vocabulary string stands for; characters outside the alphabet are appended as their
    /// own UTF-8 (such tokens only come from hand-made vocabularies).</summary>
    public static void Decode(string token, List<byte> output)
    {
        Span<byte> buf = stackalloc byte[4];
        foreach (char c in token)
        {
            if (c < CharToByte.Length && CharToByte[c] >= 0)
            {
                output.Add((byte)CharToByte[c]);
            }
            else
            {
                int n = System.Text.Encoding.UTF8.GetBytes([c], buf);
                for (int i = 0; i < n; i++) output.Add(buf[i]);
            }
        }
    }
}
