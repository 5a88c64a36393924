// Typed reads of a Flower config map (map<string, Scalar>: double, sint64, bool, string or bytes), so that a value of the
// wrong type is one error naming the round and the key: round 3: FitIns.config["local_epochs"]: expected sint64, got double 1.5.
using System.Globalization;
using RagTune.Federated.Flower;

namespace RagTune.Federated.Protocol;

internal sealed class FlowerConfig
{
    private readonly IReadOnlyDictionary<string, Scalar> _values;
    private readonly string _field;

    /// <param name="values">The message's config.</param>
    /// <param name="field">The field in errors, e.g. "round 3: FitIns.config".</param>
    public FlowerConfig(IEnumerable<KeyValuePair<string, Scalar>> values, string field)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        _field = field;
    }

    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>A double (a sint64 is widened: Python's {"learning_rate": 1} arrives as sint64); null when absent.</summary>
    public double? GetDouble(string key) => Get(key) switch
    {
        null => null,
        { ScalarCase: Scalar.ScalarOneofCase.Double } s => s.Double,
        { ScalarCase: Scalar.ScalarOneofCase.Sint64 } s => s.Sint64,
        var s => throw Wrong(key, "double", s),
    };

    /// <summary>A sint64 (an integer; a double such as 1.0 is refused); null when absent.</summary>
    public long? GetInt64(string key) => Get(key) switch
    {
        null => null,
        { ScalarCase: Scalar.ScalarOneofCase.Sint64 } s => s.Sint64,
        var s => throw Wrong(key, "sint64 (an integer)", s),
    };

    /// <summary>A sint64 within [<paramref name="min"/>, <paramref name="max"/>]; null when absent.</summary>
    public int? GetInt32(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        long? value = GetInt64(key);
        if (value is null) return null;
        return value < min || value > max
            ? throw new FederatedException($"{_field}[\"{key}\"]: expected an integer in [{min}, {max}], got {value}")
            : (int)value.Value;
    }

    public bool? GetBool(string key) => Get(key) switch
    {
        null => null,
        { ScalarCase: Scalar.ScalarOneofCase.Bool } s => s.Bool,
        var s => throw Wrong(key, "bool", s),
    };

    public string? GetString(string key) => Get(key) switch
    {
        null => null,
        { ScalarCase: Scalar.ScalarOneofCase.String } s => s.String,
        var s => throw Wrong(key, "string", s),
    };

    public byte[]? GetBytes(string key) => Get(key) switch
    {
        null => null,
        { ScalarCase: Scalar.ScalarOneofCase.Bytes } s => s.Bytes.ToByteArray(),
        var s => throw Wrong(key, "bytes", s),
    };

    private Scalar? Get(string key)
    {
        if (!_values.TryGetValue(key, out var s)) return null;
        return s.ScalarCase == Scalar.ScalarOneofCase.None
            ? throw new FederatedException($"{_field}[\"{key}\"]: the Scalar holds no value (expected one of double, sint64, bool, string, bytes)")
            : s;
    }

    private FederatedException Wrong(string key, string expected, Scalar s) =>
        new($"{_field}[\"{key}\"]: expected {expected}, got {Describe(s)}");

    /// <summary>"double 1.5", "string \"x\"", "bytes (3 bytes)" — a Scalar as errors print it.</summary>
    public static string Describe(Scalar s) => s.ScalarCase switch
    {
        Scalar.ScalarOneofCase.Double => "double " + s.Double.ToString("R", CultureInfo.InvariantCulture),
        Scalar.ScalarOneofCase.Sint64 => "sint64 " + s.Sint64.ToString(CultureInfo.InvariantCulture),
        Scalar.ScalarOneofCase.Bool => "bool " + (s.Bool ? "True" : "False"),
        Scalar.ScalarOneofCase.String => $"string \"{s.String}\"",
        Scalar.ScalarOneofCase.Bytes => $"bytes ({s.Bytes.Length} bytes)",
        _ => "no value",
    };
}
