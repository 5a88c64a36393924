// Writes a GGUF v3 file (llama.cpp's format): header, metadata key/value pairs, tensor descriptions, then each tensor's
// data at an aligned offset. Metadata values use the .NET types GgufFile reads back (byte, int, float, string, bool, typed
// arrays, object[] of arrays), so a file written here reads back value for value.
using System.Runtime.InteropServices;
using System.Text;

namespace RagTune.Engine.Formats;

public sealed class GgufWriter
{
    /// <summary>The data alignment llama.cpp uses when general.alignment is absent (GGUF_DEFAULT_ALIGNMENT).</summary>
    public const uint DefaultAlignment = 32;

    private const uint Magic = 0x46554747; // "GGUF" as a little-endian u32
    private const uint Version = 3;
    private const string AlignmentKey = "general.alignment";

    private readonly List<KeyValuePair<string, object>> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    private sealed record PendingTensor(string Name, ulong[] Dimensions, GgmlType Type, long ByteCount, Func<byte[]> Data);

    /// <summary>The alignment of the data section and of every tensor in it (general.alignment when set).</summary>
    public uint Alignment { get; private set; } = DefaultAlignment;

    public int TensorCount => _tensors.Count;

    /// <summary>Adds a metadata value; its GGUF type follows its .NET type (byte → UINT8, int → INT32, float → FLOAT32,
    /// string, bool, ulong/long/double, T[] → ARRAY of T, object[] of arrays → ARRAY of ARRAY). A key may be added once.</summary>
    public GgufWriter Add(string key, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckValue(key, value);
        if (!_keys.Add(key)) throw new ArgumentException($"GGUF metadata key '{key}' was already added", nameof(key));
        if (key == AlignmentKey)
        {
            if (value is not uint a || a == 0 || (a & (a - 1)) != 0)
                throw new ArgumentException($"{AlignmentKey} must be a uint power of two, got {value} ({value.GetType().Name})", nameof(value));
            Alignment = a;
        }
        _metadata.Add(new(key, value));
        return this;
    }

    /// <summary>Adds a tensor: <paramref name="dimensions"/> innermost first (as GGUF stores them: ne[0] is the row length),
    /// and a callback that returns its data, <see cref="GgmlTypes.ByteCount"/> bytes, when the data section is written.</summary>
    public GgufWriter AddTensor(string name, ulong[] dimensions, GgmlType type, Func<byte[]> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        if (dimensions.Length is 0 or > 4) throw new ArgumentException($"tensor '{name}' has {dimensions.Length} dimensions, expected 1 to 4", nameof(dimensions));
        if (!GgmlTypes.TryGetLayout(type, out int blockWeights, out _))
            throw new ArgumentException($"tensor '{name}': ggml type {type} has no known block layout", nameof(type));
        if (dimensions[0] % (ulong)blockWeights != 0)
            throw new ArgumentException($"tensor '{name}': row length {dimensions[0]} is not a multiple of {type}'s {blockWeights}-weight blocks", nameof(dimensions));
        ulong count = 1;
        foreach (ulong d in dimensions) count = checked(count * d);
        if (!_tensorNames.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        _tensors.Add(new PendingTensor(name, (ulong[])dimensions.Clone(), type, GgmlTypes.ByteCount(type, (long)count), data));
        return this;
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>, producing each tensor's data in turn (the callbacks run
    /// here, one at a time, so only one tensor's bytes are held at once).</summary>
    public async Task WriteAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new MemoryStream();
        using (var w = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_metadata.Count);
            foreach (var (key, value) in _metadata)
            {
                WriteString(w, key);
                w.Write((uint)TypeOf(value));
                WriteValue(w, value);
            }
            ulong offset = 0;
            foreach (var t in _tensors)
            {
                WriteString(w, t.Name);
                w.Write((uint)t.Dimensions.Length);
                foreach (ulong d in t.Dimensions) w.Write(d);
                w.Write((uint)t.Type);
                w.Write(offset);
                offset += (ulong)Align(t.ByteCount);
            }
            w.Write(new byte[Align(header.Length) - header.Length]);
        }
        header.Position = 0;
        await header.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        foreach (var t in _tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            byte[] bytes = t.Data();
            if (bytes.LongLength != t.ByteCount)
                throw new EngineException($"GGUF tensor '{t.Name}': its data has {bytes.LongLength} bytes, expected {t.ByteCount} ({t.Type}, [{string.Join(", ", t.Dimensions)}])");
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            long padding = Align(t.ByteCount) - t.ByteCount;
            if (padding > 0) await stream.WriteAsync(new byte[padding], cancellationToken).ConfigureAwait(false);
        }
    }

    private long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static GgufValueType TypeOf(object value) => value switch
    {
        byte => GgufValueType.UInt8,
        sbyte => GgufValueType.Int8,
        ushort => GgufValueType.UInt16,
        short => GgufValueType.Int16,
        uint => GgufValueType.UInt32,
        int => GgufValueType.Int32,
        float => GgufValueType.Float32,
        bool => GgufValueType.Bool,
        string => GgufValueType.String,
        ulong => GgufValueType.UInt64,
        long => GgufValueType.Int64,
        double => GgufValueType.Float64,
        Array => GgufValueType.Array,
        _ => throw new ArgumentException($"a {value.GetType().Name} has no GGUF value type"),
    };

    // By element type, not by array pattern: the runtime lets an int[] pass as uint[] (and byte[] as sbyte[]), so
    // `array is uint[]` would be true for an int[].
    private static GgufValueType ElementTypeOf(Array array)
    {
        var element = array.GetType().GetElementType()!;
        if (element == typeof(object)) return GgufValueType.Array;
        if (element == typeof(string)) return GgufValueType.String;
        return Type.GetTypeCode(element) switch
        {
            TypeCode.Byte => GgufValueType.UInt8,
            TypeCode.SByte => GgufValueType.Int8,
            TypeCode.UInt16 => GgufValueType.UInt16,
            TypeCode.Int16 => GgufValueType.Int16,
            TypeCode.UInt32 => GgufValueType.UInt32,
            TypeCode.Int32 => GgufValueType.Int32,
            TypeCode.Single => GgufValueType.Float32,
            TypeCode.Boolean => GgufValueType.Bool,
            TypeCode.UInt64 => GgufValueType.UInt64,
            TypeCode.Int64 => GgufValueType.Int64,
            TypeCode.Double => GgufValueType.Float64,
            _ => throw new ArgumentException($"a {array.GetType().Name} is not a GGUF array (expected a one-dimensional array of a GGUF value type)"),
        };
    }

    private static void CheckValue(string key, object value)
    {
        try
        {
            if (TypeOf(value) != GgufValueType.Array) return;
            var array = (Array)value;
            if (array.Rank != 1) throw new ArgumentException("arrays must be one-dimensional");
            switch (ElementTypeOf(array))
            {
                case GgufValueType.String:
                    if (((string[])array).Any(s => s is null)) throw new ArgumentException("a string array holds null");
                    break;
                case GgufValueType.Array:
                    foreach (var item in (object[])array)
                    {
                        if (item is not Array) throw new ArgumentException("an object[] must hold only arrays (GGUF arrays of arrays)");
                        CheckValue(key, item);
                    }
                    break;
            }
        }
        catch (ArgumentException e) when (!e.Message.StartsWith("GGUF metadata", StringComparison.Ordinal))
        {
            throw new ArgumentException($"GGUF metadata '{key}': {e.Message}", nameof(value));
        }
    }

    private static void WriteValue(BinaryWriter w, object value)
    {
        switch (value)
        {
            case byte v: w.Write(v); break;
            case sbyte v: w.Write(v); break;
            case ushort v: w.Write(v); break;
            case short v: w.Write(v); break;
            case uint v: w.Write(v); break;
            case int v: w.Write(v); break;
            case float v: w.Write(v); break;
            case bool v: w.Write((byte)(v ? 1 : 0)); break;
            case string v: WriteString(w, v); break;
            case ulong v: w.Write(v); break;
            case long v: w.Write(v); break;
            case double v: w.Write(v); break;
            case Array a: WriteArray(w, a); break;
        }
    }

    private static void WriteArray(BinaryWriter w, Array array)
    {
        w.Write((uint)ElementTypeOf(array));
        w.Write((ulong)array.Length);
        switch (ElementTypeOf(array))
        {
            case GgufValueType.String:
                foreach (var s in (string[])array) WriteString(w, s);
                break;
            case GgufValueType.Bool:
                foreach (var b in (bool[])array) w.Write((byte)(b ? 1 : 0));
                break;
            case GgufValueType.Array:
                foreach (var item in (object[])array) WriteArray(w, (Array)item);
                break;
            default:
                // GGUF is little-endian, like every platform .NET runs this engine on; the elements are written as they lie.
                w.Write(MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(array), Buffer.ByteLength(array)));
                break;
        }
    }
}
