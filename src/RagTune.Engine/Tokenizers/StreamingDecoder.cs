// Streaming decode: token bytes accumulate until they form complete UTF-8; an incomplete tail is held back.
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal sealed class StreamingDecoder(TokenizerBase tokenizer, bool skipSpecialTokens) : IStreamingDecoder
{
    private readonly List<byte> _pending = new();
    private bool _started;

    public string Add(int id)
    {
        int before = _pending.Count;
        if (!tokenizer.AppendTokenBytes(id, skipSpecialTokens, !_started, _pending)) return "";
        _started |= _pending.Count > before || !tokenizer.StripLeadingSpaceUntilText;
        int complete = _pending.Count - IncompleteTailLength(_pending);
        if (complete == 0) return "";
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..complete]);
        _pending.RemoveRange(0, complete);
        return tokenizer.CleanUp(text);
    }

    public string Flush()
    {
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        _started = false;
        return tokenizer.CleanUp(text);
    }

    /// <summary>Length of a trailing UTF-8 sequence that has started but not finished (0 when the bytes end cleanly;
    /// an invalid tail is not held back — it decodes to U+FFFD).</summary>
    internal static int IncompleteTailLength(List<byte> bytes)
    {
        for (int back = 1; back <= Math.Min(3, bytes.Count); back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead byte
            int needed = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
            return needed > back ? back : 0;
        }
        return 0;
    }
}
