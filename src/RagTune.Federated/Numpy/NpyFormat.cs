// numpy's .npy format (numpy/lib/format.py) for float32/float16 (and, read and written, float64) C-order arrays: the 6-byte magic "\x93NUMPY", a version
// byte pair, a little-endian header length (uint16 for 1.0, uint32 for 2.0/3.0), then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and '\n' so that the data starts on a
// 64-byte boundary, then the values. Writing gives the bytes numpy ≥ 1.24's np.save(f, a, allow_pickle=False) gives
// (including its 21-digit growth room after the header); reading accepts versions 1.0, 2.0 and 3.0.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace RagTune.Federated.Numpy;

public static class NpyFormat
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int MagicLength = 8; // magic + major + minor
    private const int ArrayAlign = 64;
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>The .npy bytes of <paramref name="array"/> in its dtype (version 1.0 unless the header needs more).</summary>
    public static byte[] Write(NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        byte[] header = Header(array.Dtype, array.Shape);
        int itemSize = ItemSize(array.Dtype);
        var bytes = new byte[header.Length + (long)array.Values.Length * itemSize];
        header.CopyTo(bytes, 0);
        var data = bytes.AsSpan(header.Length);
        switch (array.Dtype)
        {
            case NpyDtype.Float32:
                for (int i = 0; i < array.Values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data[(i * 4)..], array.Values[i]);
                break;
            case NpyDtype.Float16:
                for (int i = 0; i < array.Values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(data[(i * 2)..], (Half)array.Values[i]);
                break;
            default:
                for (int i = 0; i < array.Values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(data[(i * 8)..], array.Values[i]);
                break;
        }
        return bytes;
    }

    /// <summary>Reads one .npy array; <paramref name="source"/> names it in errors ("round 3: FitIns.parameters.tensors[5]").</summary>
    public static NpyArray Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < MagicLength || !bytes[..6].SequenceEqual(Magic))
            throw Bad(source, "does not start with the .npy magic \\x93NUMPY (expected a numpy .npy byte string, as np.save writes)");
        byte major = bytes[6], minor = bytes[7];
        int lengthSize = (major, minor) switch
        {
            (1, 0) => 2,
            (2, 0) or (3, 0) => 4,
            _ => throw Bad(source, $".npy version {major}.{minor} (expected 1.0, 2.0 or 3.0)"),
        };
        if (bytes.Length < MagicLength + lengthSize)
            throw Bad(source, $"is {bytes.Length} bytes, too short for a .npy {major}.{minor} header length");
        long headerLength = lengthSize == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[MagicLength..])
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes[MagicLength..]);
        long dataStart = MagicLength + lengthSize + headerLength;
        if (dataStart > bytes.Length)
            throw Bad(source, $"header length says {headerLength} bytes, but only {bytes.Length - MagicLength - lengthSize} follow");
        var headerBytes = bytes[(MagicLength + lengthSize)..(int)dataStart];
        string header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        var (descr, fortranOrder, shape) = ParseHeader(header, source);
        NpyDtype dtype = descr switch
        {
            "<f4" => NpyDtype.Float32,
            "<f2" => NpyDtype.Float16,
            "<f8" => NpyDtype.Float64,
            _ => throw Bad(source, $"dtype '{descr}' (expected '<f4' float32, '<f2' float16 or '<f8' float64)"),
        };
        if (fortranOrder) throw Bad(source, "fortran_order is True (expected False: C order)");
        long count = 1;
        foreach (int d in shape) count = checked(count * d);
        int itemSize = ItemSize(dtype);
        long expected = count * itemSize, actual = bytes.Length - dataStart;
        if (actual != expected)
            throw Bad(source, $"shape {NpyArray.FormatShape(shape)} of '{descr}' needs {expected} data bytes, found {actual}" +
                (actual < expected ? " (truncated)" : " (trailing bytes)"));
        var data = bytes[(int)dataStart..];
        var values = new float[count];
        switch (dtype)
        {
            case NpyDtype.Float32:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
                break;
            case NpyDtype.Float16:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]);
                break;
            default: // float64, narrowed (round to nearest; beyond float32's range it becomes ±∞, which callers refuse)
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(data[(i * 8)..]);
                break;
        }
        return new NpyArray(dtype, shape, values);
    }

    private static int ItemSize(NpyDtype dtype) => dtype switch { NpyDtype.Float32 => 4, NpyDtype.Float16 => 2, _ => 8 };

    private static string Descr(NpyDtype dtype) => dtype switch { NpyDtype.Float32 => "<f4", NpyDtype.Float16 => "<f2", _ => "<f8" };

    /// <summary>numpy's _write_array_header + _wrap_header_guess_version: keys sorted, repr values, growth room for the
    /// first axis, then padding to ARRAY_ALIGN.</summary>
    private static byte[] Header(NpyDtype dtype, IReadOnlyList<int> shape)
    {
        string shapeRepr = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string dict = $"{{'descr': '{Descr(dtype)}', 'fortran_order': False, 'shape': {shapeRepr}, }}";
        if (shape.Count > 0) dict += new string(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        byte[] text = Encoding.Latin1.GetBytes(dict);
        int hlen = text.Length + 1; // + '\n'
        // Version 1.0 unless its uint16 length cannot hold the padded header (then 2.0), as numpy guesses it.
        bool version1 = hlen + ArrayAlign - (MagicLength + 2 + hlen) % ArrayAlign <= ushort.MaxValue;
        int lengthSize = version1 ? 2 : 4;
        int padlen = ArrayAlign - (MagicLength + lengthSize + hlen) % ArrayAlign;
        var result = new byte[MagicLength + lengthSize + hlen + padlen];
        Magic.CopyTo(result);
        result[6] = version1 ? (byte)1 : (byte)2;
        result[7] = 0;
        if (version1) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(MagicLength), (ushort)(hlen + padlen));
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(MagicLength), (uint)(hlen + padlen));
        text.CopyTo(result, MagicLength + lengthSize);
        result.AsSpan(MagicLength + lengthSize + text.Length, padlen).Fill((byte)' ');
        result[^1] = (byte)'\n';
        return result;
    }

    /// <summary>The header's Python dict literal: exactly the keys descr (a string), fortran_order (True/False) and shape
    /// (a tuple of non-negative ints), in any order, single or double quotes, trailing commas and whitespace allowed.</summary>
    private static (string Descr, bool FortranOrder, int[] Shape) ParseHeader(string header, string source)
    {
        var p = new HeaderParser(header, source);
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        p.Expect('{');
        while (!p.TryTake('}'))
        {
            string key = p.QuotedString();
            p.Expect(':');
            switch (key)
            {
                case "descr": descr = p.QuotedString(); break;
                case "fortran_order": fortran = p.Boolean(); break;
                case "shape": shape = p.IntTuple(); break;
                default: throw Bad(source, $"header has key '{key}' (expected only 'descr', 'fortran_order' and 'shape')");
            }
            if (!p.TryTake(',')) { p.Expect('}'); break; }
        }
        p.ExpectEnd();
        if (descr is null || fortran is null || shape is null)
            throw Bad(source, $"header lacks '{(descr is null ? "descr" : fortran is null ? "fortran_order" : "shape")}' (expected descr, fortran_order and shape)");
        return (descr, fortran.Value, shape);
    }

    private static FederatedException Bad(string source, string what) => new($"{source}: {what}");

    private sealed class HeaderParser(string text, string source)
    {
        private int _pos;

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private FederatedException Error(string expected) =>
            Bad(source, $".npy header {Quote()}: expected {expected} at offset {_pos}");

        private string Quote() => text.Length > 120 ? $"\"{text[..120].TrimEnd()}…\"" : $"\"{text.TrimEnd()}\"";

        public bool TryTake(char c)
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] == c) { _pos++; return true; }
            return false;
        }

        public void Expect(char c)
        {
            if (!TryTake(c)) throw Error($"'{c}'");
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos != text.Length) throw Error("the end of the header");
        }

        public string QuotedString()
        {
            SkipSpace();
            if (_pos >= text.Length || (text[_pos] != '\'' && text[_pos] != '"')) throw Error("a quoted string");
            char quote = text[_pos];
            int end = text.IndexOf(quote, _pos + 1);
            if (end < 0) throw Error("a closing quote");
            string value = text[(_pos + 1)..end];
            _pos = end + 1;
            return value;
        }

        public bool Boolean()
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _pos, "True", 0, 4) == 0) { _pos += 4; return true; }
            if (string.CompareOrdinal(text, _pos, "False", 0, 5) == 0) { _pos += 5; return false; }
            throw Error("True or False");
        }

        public int[] IntTuple()
        {
            Expect('(');
            var dims = new List<int>();
            while (!TryTake(')'))
            {
                SkipSpace();
                int start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
                if (_pos == start || !int.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                    throw Error("a non-negative dimension");
                dims.Add(d);
                if (!TryTake(',')) { Expect(')'); break; }
            }
            return [.. dims];
        }
    }
}
