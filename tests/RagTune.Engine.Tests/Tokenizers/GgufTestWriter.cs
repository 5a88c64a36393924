// Writes small GGUF v3 files for tests: metadata of every value type, no tensors.
using System.Text;
using RagTune.Engine.Formats;

namespace RagTune.Engine.Tests.Tokenizers;

internal sealed class GgufTestWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> _entries = new();

    public GgufTestWriter Add(string key, GgufValueType type, object value)
    {
        _entries.Add((key, type, value));
        return this;
    }

    public GgufTestWriter String(string key, string value) => Add(key, GgufValueType.String, value);
    public GgufTestWriter UInt32(string key, uint value) => Add(key, GgufValueType.UInt32, value);
    public GgufTestWriter Strings(string key, IEnumerable<string> values) => Add(key, GgufValueType.Array, (GgufValueType.String, values.Cast<object>().ToArray()));
    public GgufTestWriter Int32s(string key, IEnumerable<int> values) => Add(key, GgufValueType.Array, (GgufValueType.Int32, values.Cast<object>().ToArray()));
    public GgufTestWriter Float32s(string key, IEnumerable<float> values) => Add(key, GgufValueType.Array, (GgufValueType.Float32, values.Cast<object>().ToArray()));

    public byte[] ToBytes(uint version = 3)
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(0x46554747u);
        w.Write(version);
        w.Write(0UL);
        w.Write((ulong)_entries.Count);
        foreach (var (key, type, value) in _entries)
        {
            WriteString(w, key);
            w.Write((uint)type);
            WriteValue(w, type, value);
        }
        w.Flush();
        return stream.ToArray();
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write((byte)value); break;
            case GgufValueType.Int8: w.Write((sbyte)value); break;
            case GgufValueType.UInt16: w.Write((ushort)value); break;
            case GgufValueType.Int16: w.Write((short)value); break;
            case GgufValueType.UInt32: w.Write((uint)value); break;
            case GgufValueType.Int32: w.Write((int)value); break;
            case GgufValueType.Float32: w.Write((float)value); break;
            case GgufValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt64: w.Write((ulong)value); break;
            case GgufValueType.Int64: w.Write((long)value); break;
            case GgufValueType.Float64: w.Write((double)value); break;
            case GgufValueType.Array:
                var (elementType, items) = ((GgufValueType, object[]))value;
                w.Write((uint)elementType);
                w.Write((ulong)items.Length);
                foreach (var item in items) WriteValue(w, elementType, item);
                break;
        }
    }
}
