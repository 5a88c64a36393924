// Splits streamed Qwen3 output into its reasoning ("<think>\n…\n</think>") and the answer after it, as the chat template
// does when it re-reads a turn: reasoning = text inside the block without surrounding newlines, answer = text after
// "</think>" without leading newlines. Text that may still turn out to be part of a tag or of trimmed newlines is held back.
namespace RagTune.Engine.AI;

internal sealed class ReasoningSplitter
{
    private const string Open = "<think>", Close = "</think>";

    private enum State { Start, Thinking, AnswerStart, Answer }

    private State _state = State.Start;
    private string _pending = "";
    private bool _reasoningStarted;

    /// <summary>Adds a decoded piece; returns the reasoning and answer text that are settled now.</summary>
    public (string Reasoning, string Answer) Add(string text)
    {
        _pending += text;
        string reasoning = "", answer = "";
        while (true)
        {
            switch (_state)
            {
                case State.Start:
                    if (_pending.Length < Open.Length && Open.StartsWith(_pending, StringComparison.Ordinal))
                        return (reasoning, answer);   // could still become "<think>"
                    if (_pending.StartsWith(Open, StringComparison.Ordinal))
                    {
                        _pending = _pending[Open.Length..];
                        _state = State.Thinking;
                    }
                    else
                        _state = State.Answer;
                    continue;
                case State.Thinking:
                    if (!_reasoningStarted)
                    {
                        _pending = _pending.TrimStart('\n');
                        if (_pending.Length == 0) return (reasoning, answer);
                        _reasoningStarted = true;
                    }
                    int close = _pending.IndexOf(Close, StringComparison.Ordinal);
                    if (close >= 0)
                    {
                        reasoning += _pending[..close].TrimEnd('\n');
                        _pending = _pending[(close + Close.Length)..];
                        _state = State.AnswerStart;
                        continue;
                    }
                    // Hold back a possible start of "</think>" and trailing newlines (they may precede it).
                    int keep = _pending.Length - HeldBack(_pending);
                    reasoning += _pending[..keep];
                    _pending = _pending[keep..];
                    return (reasoning, answer);
                case State.AnswerStart:
                    _pending = _pending.TrimStart('\n');
                    if (_pending.Length == 0) return (reasoning, answer);
                    _state = State.Answer;
                    continue;
                default:
                    answer += _pending;
                    _pending = "";
                    return (reasoning, answer);
            }
        }
    }

    /// <summary>At the end: what was held back. An unterminated think block is all reasoning (generation stopped inside it).</summary>
    public (string Reasoning, string Answer) Flush()
    {
        string rest = _pending;
        _pending = "";
        return _state switch
        {
            State.Thinking => (rest.TrimEnd('\n'), ""),
            State.AnswerStart => ("", ""),
            _ => ("", rest),
        };
    }

    private static int HeldBack(string text)
    {
        int tag = 0;
        for (int len = Math.Min(Close.Length - 1, text.Length); len > 0; len--)
            if (string.CompareOrdinal(text, text.Length - len, Close, 0, len) == 0)
            {
                tag = len;
                break;
            }
        int end = text.Length - tag, newlines = 0;
        while (newlines < end && text[end - 1 - newlines] == '\n') newlines++;
        return tag + newlines;
    }
}
