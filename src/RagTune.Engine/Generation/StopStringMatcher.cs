// Finds stop strings in streamed text. Text that could still be the start of a stop string is held back, so the caller
// never prints part of a stop string; once a stop string appears, only the text before it is released.
namespace RagTune.Engine.Generation;

public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private string _pending = "";

    public StopStringMatcher(IEnumerable<string> stops)
    {
        _stops = stops.Where(s => !string.IsNullOrEmpty(s)).Distinct().ToArray();
    }

    /// <summary>True once a stop string has been seen.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop string that ended the text, or null.</summary>
    public string? Matched { get; private set; }

    /// <summary>Adds decoded text; returns what can be released now.</summary>
    public string Add(string text)
    {
        if (Stopped) return "";
        if (_stops.Length == 0) return text;
        _pending += text;
        int first = -1;
        foreach (var stop in _stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
                Matched = stop;
            }
        }
        if (first >= 0)
        {
            Stopped = true;
            string before = _pending[..first];
            _pending = "";
            return before;
        }
        int hold = HeldBackLength(_pending);
        string release = _pending[..^hold];
        _pending = _pending[^hold..];
        return release;
    }

    /// <summary>At the end of generation: releases what was held back (it never completed a stop string).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of some stop string.</summary>
    private int HeldBackLength(string text)
    {
        int best = 0;
        foreach (var stop in _stops)
            for (int len = Math.Min(stop.Length - 1, text.Length); len > best; len--)
                if (string.CompareOrdinal(text, text.Length - len, stop, 0, len) == 0)
                {
                    best = len;
                    break;
                }
        return best;
    }
}
