// Parses and validates a safetensors JSON header with the rules of the reference implementation (huggingface/safetensors).
using System.Text;
using System.Text.Json;

namespace RagTune.Engine.Tensors;

internal static class SafeTensorHeader
{
    /// <summary>The reference refuses headers above 100 MB (MAX_HEADER_SIZE).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Validates the header against a data section of <paramref name="dataLength"/> bytes that starts at
    /// <paramref name="dataStart"/>; returns the tensors in data-offset order with absolute offsets.
    /// </summary>
    public static (IReadOnlyDictionary<string, string> Metadata, List<TensorInfo> Tensors) Parse(
        ReadOnlySpan<byte> json, string path, long dataStart, long dataLength)
    {
        try
        {
            StrictUtf8.GetCharCount(json);
        }
        catch (DecoderFallbackException)
        {
            throw Error(path, "header is not valid UTF-8");
        }
        // The reference requires the header to start with '{' (no leading whitespace).
        if (json.Length == 0 || json[0] != (byte)'{')
            throw Error(path, $"header must be a JSON object starting with '{{' but starts with {Describe(json)}");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(string Name, DType DType, long[] Shape, long Begin, long End)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, path, "header");
            while (true)
            {
                Read(ref reader, path, "header");
                if (reader.TokenType == JsonTokenType.EndObject)
                    break;
                string name = reader.GetString()!;
                // System.Text.Json's DOM keeps the last of duplicate keys silently; a duplicate is a corrupt file.
                if (!seen.Add(name))
                    throw Error(path, $"tensor '{name}' appears more than once in the header");
                if (name == "__metadata__")
                    ReadMetadata(ref reader, path, metadata);
                else
                    entries.Add(ReadEntry(ref reader, path, name));
            }
            // Only whitespace may follow the object (the writer pads with spaces); anything else makes Read throw.
            if (reader.Read())
                throw Error(path, "header has content after the closing '}'");
        }
        catch (JsonException ex)
        {
            throw new EngineException($"{path}: header is not well-formed JSON: {ex.Message}", ex);
        }

        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        var tensors = new List<TensorInfo>(entries.Count);
        long expectedBegin = 0;
        foreach (var e in entries)
        {
            if (e.Begin != expectedBegin || e.End < e.Begin)
            {
                string problem = e.End < e.Begin ? "end before begin"
                    : e.Begin > expectedBegin ? $"a hole of {e.Begin - expectedBegin} bytes before it"
                    : "it overlaps the previous tensor";
                throw Error(path, $"tensor '{e.Name}' has data_offsets [{e.Begin}, {e.End}] but the previous tensor ends at {expectedBegin} ({problem}); offsets must be contiguous from 0");
            }
            long bytes;
            try
            {
                bytes = checked(DTypes.ElementCount(e.Shape) * DTypes.SizeOf(e.DType));
            }
            catch (OverflowException)
            {
                throw Error(path, $"tensor '{e.Name}' shape [{string.Join(", ", e.Shape)}] overflows a 64-bit byte count");
            }
            if (e.End - e.Begin != bytes)
                throw Error(path, $"tensor '{e.Name}' has {e.End - e.Begin} bytes in data_offsets [{e.Begin}, {e.End}] but {DTypes.Name(e.DType)}[{string.Join(", ", e.Shape)}] needs {bytes}");
            if (e.End > dataLength)
                throw Error(path, $"tensor '{e.Name}' ends at byte {e.End} of the data section but the file has only {dataLength} data bytes (truncated file?)");
            tensors.Add(new TensorInfo(e.Name, e.DType, e.Shape, dataStart + e.Begin, bytes, path));
            expectedBegin = e.End;
        }
        // The reference (MetadataIncompleteBuffer) also rejects bytes after the last tensor.
        if (expectedBegin != dataLength)
            throw Error(path, $"data section has {dataLength} bytes but the tensors cover {expectedBegin}; trailing bytes are not allowed");
        return (metadata, tensors);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string path, Dictionary<string, string> metadata)
    {
        Read(ref reader, path, "__metadata__");
        if (reader.TokenType == JsonTokenType.Null)
            return;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(path, $"__metadata__ must be an object of strings but is {reader.TokenType}");
        while (true)
        {
            Read(ref reader, path, "__metadata__");
            if (reader.TokenType == JsonTokenType.EndObject)
                return;
            string key = reader.GetString()!;
            Read(ref reader, path, "__metadata__");
            if (reader.TokenType != JsonTokenType.String)
                throw Error(path, $"__metadata__ value of '{key}' must be a string but is {reader.TokenType}");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Error(path, $"__metadata__ key '{key}' appears more than once");
        }
    }

    private static (string, DType, long[], long, long) ReadEntry(ref Utf8JsonReader reader, string path, string name)
    {
        Read(ref reader, path, name);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(path, $"tensor '{name}' must be an object with dtype, shape and data_offsets but is {reader.TokenType}");
        string? dtypeName = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Read(ref reader, path, name);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    Read(ref reader, path, name);
                    if (reader.TokenType != JsonTokenType.String)
                        throw Error(path, $"tensor '{name}' field dtype must be a string but is {reader.TokenType}");
                    dtypeName = reader.GetString();
                    break;
                case "shape":
                    shape = ReadIntegers(ref reader, path, name, field);
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(ref reader, path, name, field);
                    if (offsets.Length != 2)
                        throw Error(path, $"tensor '{name}' field data_offsets must have 2 numbers [begin, end] but has {offsets.Length}");
                    break;
                default:
                    // Like the reference's serde struct, unknown fields are ignored.
                    reader.Skip();
                    break;
            }
        }
        if (dtypeName is null) throw Error(path, $"tensor '{name}' has no dtype");
        if (shape is null) throw Error(path, $"tensor '{name}' has no shape");
        if (offsets is null) throw Error(path, $"tensor '{name}' has no data_offsets");
        if (!DTypes.TryParse(dtypeName, out var dtype))
            throw Error(path, $"tensor '{name}' has unknown dtype '{dtypeName}'; expected one of {string.Join(", ", DTypes.All.Select(DTypes.Name))}");
        return (name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(ref Utf8JsonReader reader, string path, string name, string field)
    {
        Read(ref reader, path, name);
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Error(path, $"tensor '{name}' field {field} must be an array of non-negative integers but is {reader.TokenType}");
        var values = new List<long>();
        while (true)
        {
            Read(ref reader, path, name);
            if (reader.TokenType == JsonTokenType.EndArray)
                return values.ToArray();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong v))
                throw Error(path, $"tensor '{name}' field {field} must hold non-negative integers but has {Encoding.UTF8.GetString(reader.ValueSpan)}");
            if (v > long.MaxValue)
                throw Error(path, $"tensor '{name}' field {field} value {v} overflows a 64-bit size");
            values.Add((long)v);
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path, string where)
    {
        Read(ref reader, path, where);
        if (reader.TokenType != type)
            throw Error(path, $"{where}: expected {type} but found {reader.TokenType}");
    }

    private static void Read(ref Utf8JsonReader reader, string path, string where)
    {
        if (!reader.Read())
            throw Error(path, $"header ends inside {where} (truncated JSON)");
    }

    private static string Describe(ReadOnlySpan<byte> json) =>
        json.Length == 0 ? "nothing" : $"'{Encoding.UTF8.GetString(json[..Math.Min(16, json.Length)])}'";

    private static EngineException Error(string path, string message) => new($"{path}: {message}");
}
