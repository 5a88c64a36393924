// Reads the header, metadata key/value pairs and tensor descriptions of a GGUF v2/v3 file (llama.cpp's format);
// tensor data is read on request (ReadTensorData), after its type and extent are checked against the file.
using System.Text;

namespace RagTune.Engine.Formats;

/// <summary>One tensor description from a GGUF file: name, dimensions (innermost first, as GGUF stores them),
/// ggml type number and offset relative to the start of the data section.</summary>
public sealed record GgufTensorInfo(string Name, ulong[] Dimensions, uint GgmlType, ulong Offset)
{
    /// <summary>The number of weights (the product of the dimensions).</summary>
    public ulong ElementCount => Dimensions.Aggregate(1UL, (a, d) => a * d);

    /// <summary>The dimensions outermost first, as PyTorch / safetensors list them ([rows, cols] for a matrix).</summary>
    public long[] Shape => Dimensions.Reverse().Select(d => (long)d).ToArray();

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}] {(Formats.GgmlType)GgmlType}";
}

public sealed class GgufFile
{
    private const uint Magic = 0x46554747; // "GGUF" read as little-endian u32
    private const long MaxStringBytes = 1L << 30;
    private const ulong MaxArrayLength = 1UL << 31;

    private readonly Dictionary<string, object> _metadata;

    private GgufFile(string path, uint version, Dictionary<string, object> metadata,
        Dictionary<string, GgufValueType> types, IReadOnlyList<GgufTensorInfo> tensors, long dataOffset, long length)
    {
        Length = length;
        Path = path;
        Version = version;
        _metadata = metadata;
        MetadataTypes = types;
        Tensors = tensors;
        DataOffset = dataOffset;
    }

    public string Path { get; }

    /// <summary>The format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Metadata values: numbers as their .NET type (byte, int, float, …), bool, string, and arrays as typed
    /// .NET arrays (string[], int[], float[], …; arrays of arrays as object[]).</summary>
    public IReadOnlyDictionary<string, object> Metadata => _metadata;

    /// <summary>The GGUF type of each metadata value (for arrays: Array).</summary>
    public IReadOnlyDictionary<string, GgufValueType> MetadataTypes { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Absolute file offset of the (aligned) tensor data section.</summary>
    public long DataOffset { get; }

    /// <summary>The file's size in bytes when it was read.</summary>
    public long Length { get; }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public GgufTensorInfo? FindTensor(string name)
    {
        _byName ??= Tensors.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        return _byName.GetValueOrDefault(name);
    }

    private Dictionary<string, GgufTensorInfo>? _byName;

    /// <summary>The bytes <paramref name="tensor"/>'s data takes, after checking that its type is one RagTune reads,
    /// that it holds whole blocks and that the data lies inside the file: otherwise an <see cref="EngineException"/>
    /// naming the file, the tensor and what was expected.</summary>
    public long TensorByteCount(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var type = (GgmlType)tensor.GgmlType;
        // The block table also knows types the kernels cannot widen (Q2_K, Q3_K, Q8_K): what is refused here is what they read.
        if (!Enum.IsDefined(type) || !GgmlTypes.CanRead(type) || !GgmlTypes.TryGetLayout(type, out int weights, out _))
            throw new EngineException($"{Path}: tensor '{tensor.Name}' has ggml type {tensor.GgmlType}{(Enum.IsDefined(type) ? $" ({type})" : "")}, which RagTune cannot read "
                + $"(expected one of {string.Join(", ", GgmlTypes.Readable)})");
        ulong count = tensor.ElementCount;
        if (tensor.Dimensions.Length == 0 || tensor.Dimensions[0] % (ulong)weights != 0)
            throw new EngineException($"{Path}: tensor '{tensor.Name}' has rows of {(tensor.Dimensions.Length == 0 ? 0 : tensor.Dimensions[0])} weights, "
                + $"expected a multiple of {type}'s {weights}-weight blocks");
        long bytes = GgmlTypes.ByteCount(type, (long)count);
        if (tensor.Offset > (ulong)Length || DataOffset + (long)tensor.Offset + bytes > Length)
            throw new EngineException($"{Path}: tensor '{tensor.Name}' ({bytes} bytes at data offset {tensor.Offset}) runs past the end of the file "
                + $"({Length} bytes, data section at {DataOffset}): the file is truncated");
        return bytes;
    }

    /// <summary>The raw data of <paramref name="tensor"/> (ggml blocks as stored), checked as <see cref="TensorByteCount"/> does.</summary>
    public byte[] ReadTensorData(GgufTensorInfo tensor)
    {
        long bytes = TensorByteCount(tensor);
        if (bytes > Array.MaxLength)
            throw new EngineException($"{Path}: tensor '{tensor.Name}' has {bytes} bytes, more than one array can hold");
        var data = GC.AllocateUninitializedArray<byte>((int)bytes);
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long at = DataOffset + (long)tensor.Offset;
        for (int done = 0; done < data.Length;)
        {
            int n = RandomAccess.Read(handle, data.AsSpan(done), at + done);
            if (n == 0)
                throw new EngineException($"{Path}: tensor '{tensor.Name}' ends past the end of the file: the file is truncated (or was cut while being read)");
            done += n;
        }
        return data;
    }

    /// <summary>True when <paramref name="path"/> is a file that starts with GGUF's magic (a model given as one file).</summary>
    public static bool IsGgufFile(string path)
    {
        if (!File.Exists(path)) return false;
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("GGUF"u8);
    }

    public static GgufFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new EngineException($"{path}: GGUF file not found.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: false);
        try
        {
            return ReadCore(path, reader, stream);
        }
        catch (EndOfStreamException)
        {
            throw new EngineException($"{path}: GGUF file is truncated (ended at byte {stream.Position} while reading the header/metadata).");
        }
    }

    private static GgufFile ReadCore(string path, BinaryReader reader, Stream stream)
    {
        uint magic = reader.ReadUInt32();
        if (magic != Magic)
            throw new EngineException($"{path}: not a GGUF file (magic 0x{magic:X8}, expected 0x{Magic:X8} \"GGUF\").");
        uint version = reader.ReadUInt32();
        if (version is not (2 or 3))
            throw new EngineException($"{path}: GGUF version {version} is not supported (expected 2 or 3).");
        ulong tensorCount = reader.ReadUInt64();
        ulong kvCount = reader.ReadUInt64();
        if (kvCount > (ulong)Remaining(reader) || tensorCount > (ulong)Remaining(reader))
            throw new EngineException($"{path}: implausible GGUF header (tensor count {tensorCount}, metadata count {kvCount}).");

        var metadata = new Dictionary<string, object>((int)kvCount, StringComparer.Ordinal);
        var types = new Dictionary<string, GgufValueType>((int)kvCount, StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = ReadString(path, reader);
            var type = (GgufValueType)reader.ReadUInt32();
            object value = ReadValue(path, key, reader, type);
            if (!metadata.TryAdd(key, value))
                throw new EngineException($"{path}: duplicate GGUF metadata key '{key}'.");
            types[key] = type;
        }

        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = ReadString(path, reader);
            uint dims = reader.ReadUInt32();
            if (dims > 8)
                throw new EngineException($"{path}: tensor '{name}' has {dims} dimensions (at most 8 expected).");
            var shape = new ulong[dims];
            for (int d = 0; d < dims; d++) shape[d] = reader.ReadUInt64();
            uint ggmlType = reader.ReadUInt32();
            ulong offset = reader.ReadUInt64();
            tensors.Add(new GgufTensorInfo(name, shape, ggmlType, offset));
        }

        long alignment = 32;
        if (metadata.TryGetValue("general.alignment", out var a) && a is uint ua)
        {
            if (ua == 0 || (ua & (ua - 1)) != 0)
                throw new EngineException($"{path}: general.alignment is {ua}, expected a power of two.");
            alignment = ua;
        }
        long dataOffset = (stream.Position + alignment - 1) / alignment * alignment;
        return new GgufFile(path, version, metadata, types, tensors, dataOffset, stream.Length);
    }

    private static string ReadString(string path, BinaryReader reader)
    {
        ulong length = reader.ReadUInt64();
        if (length > MaxStringBytes || (long)length > Remaining(reader))
            throw new EngineException($"{path}: GGUF string length {length} at byte {reader.BaseStream.Position - 8} runs past the end of the file (corrupt or truncated).");
        byte[] bytes = reader.ReadBytes((int)length);
        if (bytes.Length != (int)length) throw new EndOfStreamException();
        return Encoding.UTF8.GetString(bytes);
    }

    private static long Remaining(BinaryReader reader) => reader.BaseStream.Length - reader.BaseStream.Position;

    private static object ReadValue(string path, string key, BinaryReader reader, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => reader.ReadByte(),
        GgufValueType.Int8 => reader.ReadSByte(),
        GgufValueType.UInt16 => reader.ReadUInt16(),
        GgufValueType.Int16 => reader.ReadInt16(),
        GgufValueType.UInt32 => reader.ReadUInt32(),
        GgufValueType.Int32 => reader.ReadInt32(),
        GgufValueType.Float32 => reader.ReadSingle(),
        GgufValueType.Bool => ReadBool(path, key, reader),
        GgufValueType.String => ReadString(path, reader),
        GgufValueType.UInt64 => reader.ReadUInt64(),
        GgufValueType.Int64 => reader.ReadInt64(),
        GgufValueType.Float64 => reader.ReadDouble(),
        GgufValueType.Array => ReadArray(path, key, reader),
        _ => throw new EngineException($"{path}: metadata '{key}' has unknown GGUF value type {(uint)type} (expected 0..12)."),
    };

    private static bool ReadBool(string path, string key, BinaryReader reader)
    {
        byte b = reader.ReadByte();
        if (b > 1) throw new EngineException($"{path}: metadata '{key}' is a bool with byte value {b} (expected 0 or 1).");
        return b == 1;
    }

    private static object ReadArray(string path, string key, BinaryReader reader)
    {
        var elementType = (GgufValueType)reader.ReadUInt32();
        ulong count = reader.ReadUInt64();
        // Every element takes at least one byte, so a count beyond the bytes left is corruption, caught before allocating.
        if (count > MaxArrayLength || (long)count > Remaining(reader))
            throw new EngineException($"{path}: metadata array '{key}' has length {count}, more than the {Remaining(reader)} bytes left in the file (corrupt or truncated).");
        int n = (int)count;
        switch (elementType)
        {
            case GgufValueType.String:
                var strings = new string[n];
                for (int i = 0; i < n; i++) strings[i] = ReadString(path, reader);
                return strings;
            case GgufValueType.UInt8: return ReadPrimitives<byte>(reader, n);
            case GgufValueType.Int8: return ReadPrimitives<sbyte>(reader, n);
            case GgufValueType.UInt16: return ReadPrimitives<ushort>(reader, n);
            case GgufValueType.Int16: return ReadPrimitives<short>(reader, n);
            case GgufValueType.UInt32: return ReadPrimitives<uint>(reader, n);
            case GgufValueType.Int32: return ReadPrimitives<int>(reader, n);
            case GgufValueType.Float32: return ReadPrimitives<float>(reader, n);
            case GgufValueType.UInt64: return ReadPrimitives<ulong>(reader, n);
            case GgufValueType.Int64: return ReadPrimitives<long>(reader, n);
            case GgufValueType.Float64: return ReadPrimitives<double>(reader, n);
            case GgufValueType.Bool:
                var bools = new bool[n];
                for (int i = 0; i < n; i++) bools[i] = ReadBool(path, key, reader);
                return bools;
            case GgufValueType.Array:
                var nested = new object[n];
                for (int i = 0; i < n; i++) nested[i] = ReadArray(path, key, reader);
                return nested;
            default:
                throw new EngineException($"{path}: metadata array '{key}' has unknown element type {(uint)elementType} (expected 0..12).");
        }
    }

    private static T[] ReadPrimitives<T>(BinaryReader reader, int n) where T : unmanaged
    {
        // GGUF is little-endian, like every platform .NET runs this engine on.
        var values = new T[n];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        int read = reader.Read(bytes);
        while (read < bytes.Length)
        {
            int r = reader.Read(bytes[read..]);
            if (r == 0) throw new EndOfStreamException();
            read += r;
        }
        return values;
    }

    public bool Contains(string key) => _metadata.ContainsKey(key);

    /// <summary>A required string value; a missing key or another type is an <see cref="EngineException"/> naming the key.</summary>
    public string GetString(string key) => Get<string>(key, "a string");

    public string? GetStringOrNull(string key) => _metadata.TryGetValue(key, out var v) ? v as string ?? throw TypeError(key, "a string") : null;

    public string[] GetStringArray(string key) => Get<string[]>(key, "an array of strings");

    /// <summary>An integer value of any GGUF integer type, or null when absent.</summary>
    public long? GetIntegerOrNull(string key)
    {
        if (!_metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            byte b => b, sbyte sb => sb, ushort us => us, short s => s, uint ui => ui, int i => i,
            long l => l, ulong ul when ul <= long.MaxValue => (long)ul,
            _ => throw TypeError(key, "an integer"),
        };
    }

    /// <summary>A float32 or float64 value, or null when absent.</summary>
    public double? GetFloatOrNull(string key)
    {
        if (!_metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            float f => f,
            double d => d,
            _ => throw TypeError(key, "a float"),
        };
    }

    public bool? GetBoolOrNull(string key) =>
        _metadata.TryGetValue(key, out var v) ? v as bool? ?? throw TypeError(key, "a bool") : null;

    /// <summary>An array of integers of any integer type, widened to int, or null when absent.</summary>
    public int[]? GetInt32ArrayOrNull(string key)
    {
        if (!_metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            int[] i => i,
            uint[] u => Array.ConvertAll(u, x => checked((int)x)),
            byte[] b => Array.ConvertAll(b, x => (int)x),
            sbyte[] sb => Array.ConvertAll(sb, x => (int)x),
            short[] s => Array.ConvertAll(s, x => (int)x),
            ushort[] us => Array.ConvertAll(us, x => (int)x),
            long[] l => Array.ConvertAll(l, x => checked((int)x)),
            _ => throw TypeError(key, "an array of integers"),
        };
    }

    public float[]? GetFloat32ArrayOrNull(string key)
    {
        if (!_metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            float[] f => f,
            double[] d => Array.ConvertAll(d, x => (float)x),
            _ => throw TypeError(key, "an array of float32"),
        };
    }

    private T Get<T>(string key, string expected) where T : class
    {
        if (!_metadata.TryGetValue(key, out var v))
            throw new EngineException($"{Path}: GGUF metadata key '{key}' is missing (expected {expected}).");
        return v as T ?? throw TypeError(key, expected);
    }

    private EngineException TypeError(string key, string expected) =>
        new($"{Path}: GGUF metadata '{key}' is {MetadataTypes[key]}{(_metadata[key] is Array arr ? $" of {arr.GetType().GetElementType()!.Name}" : "")}, expected {expected}.");
}
