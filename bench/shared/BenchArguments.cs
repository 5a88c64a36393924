// The bench programs' command line, `--name value` options and `--flag` switches in any order, read one way by every
// program that links this file (bench/federated, bench/raft-synthetic). A value that does not parse names its option.
using System.Globalization;

namespace RagTune.Bench;

internal sealed class BenchArguments(string[] args)
{
    /// <summary>The value after <paramref name="name"/>, or null when the option is not given.</summary>
    public string? Text(string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Whether the switch <paramref name="name"/> is given.</summary>
    public bool Has(string name) => Array.IndexOf(args, name) >= 0;

    public int Int(string name, int fallback) => Text(name) is { } v ? Parse(name, v, int.Parse) : fallback;

    public float Float(string name, float fallback) => Text(name) is { } v ? Parse(name, v, float.Parse) : fallback;

    /// <summary>The comma-separated values after <paramref name="name"/>, or null when the option is not given.</summary>
    public List<T>? List<T>(string name, Func<string, T> parse) =>
        Text(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Parse(name, v, (s, _) => parse(s))).ToList();

    private static T Parse<T>(string name, string value, Func<string, IFormatProvider, T> parse)
    {
        try
        {
            return parse(value, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"{name} '{value}': expected {(typeof(T).IsEnum ? $"one of {string.Join(", ", Enum.GetNames(typeof(T)))}" : $"a {typeof(T).Name} value")} ({e.Message})");
        }
    }
}
