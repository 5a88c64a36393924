// NpyFormat against files Debian's numpy wrote (tools/reference/make_npy_fixtures.py): writing is byte-identical to
// np.save, reading gives the exact values, and every malformed input is one FederatedException naming what was expected.
using System.Buffers.Binary;
using System.Text;
using RagTune.Federated.Numpy;

namespace RagTune.Federated.Tests.Numpy;

public sealed class NpyFormatTests
{
    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    public static TheoryData<string> Float32Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures"), "f4_*.npy").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Float32Fixtures))]
    public void Float32_arrays_read_exactly_and_write_back_byte_identical(string name)
    {
        byte[] bytes = Fixture(name);
        var array = NpyFormat.Read(bytes, name);
        Assert.Equal(NpyDtype.Float32, array.Dtype);
        long count = array.Shape.Aggregate(1L, (a, d) => a * d);
        Assert.Equal(count, array.Values.Length);
        // The values are the raw little-endian floats after the header: compare bit patterns, not with a tolerance.
        int dataStart = bytes.Length - array.Values.Length * 4;
        for (int i = 0; i < array.Values.Length; i++)
            Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(dataStart + i * 4)), BitConverter.SingleToInt32Bits(array.Values[i]));
        Assert.Equal(bytes, NpyFormat.Write(array));
    }

    [Fact]
    public void Shapes_come_out_as_numpy_wrote_them()
    {
        Assert.Empty(NpyFormat.Read(Fixture("f4_scalar.npy"), "scalar").Shape);
        Assert.Equal([3.25f], NpyFormat.Read(Fixture("f4_scalar.npy"), "scalar").Values);
        Assert.Equal([5], NpyFormat.Read(Fixture("f4_1d.npy"), "1d").Shape);
        Assert.Equal([0, 4], NpyFormat.Read(Fixture("f4_empty.npy"), "empty").Shape);
        Assert.Equal([8, 896], NpyFormat.Read(Fixture("f4_8x896.npy"), "8x896").Shape);
        Assert.Equal(Enumerable.Repeat(1, 32), NpyFormat.Read(Fixture("f4_ones_rank32.npy"), "rank32").Shape);
        var values = NpyFormat.Read(Fixture("f4_2x3.npy"), "2x3").Values;
        Assert.Equal((float)Math.PI, values[0]);
        Assert.Equal(1e-40f, values[2]); // a float32 subnormal survives
    }

    [Fact]
    public void Float16_is_written_as_numpy_astype_rounds_it_and_read_exactly()
    {
        var from = NpyFormat.Read(Fixture("f2_from.npy"), "f2_from.npy");
        byte[] expected = Fixture("f2_to.npy");
        byte[] written = NpyFormat.Write(new NpyArray(NpyDtype.Float16, from.Shape, from.Values));
        Assert.Equal(expected, written);

        var back = NpyFormat.Read(expected, "f2_to.npy");
        Assert.Equal(NpyDtype.Float16, back.Dtype);
        Assert.Equal([3, 8], back.Shape);
        Assert.Equal(float.PositiveInfinity, back.Values[7]); // 65520 overflows to inf, as in numpy
        Assert.Equal(65504f, back.Values[5]);
        for (int i = 0; i < back.Values.Length; i++)
            Assert.Equal((float)(Half)from.Values[i], back.Values[i]);
    }

    [Fact]
    public void Versions_2_and_3_are_read()
    {
        var v2 = NpyFormat.Read(Fixture("v2_f4.npy"), "v2");
        Assert.Equal([2, 3], v2.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], v2.Values);
        var v3 = NpyFormat.Read(Fixture("v3_f2.npy"), "v3");
        Assert.Equal(NpyDtype.Float16, v3.Dtype);
        Assert.Equal([0f, 1, 2, 3], v3.Values);
    }

    [Fact]
    public void Float64_as_Flowers_FedAvg_returns_it_is_read_narrowed_to_float32_and_written_back_byte_identical()
    {
        // Regression (interop with Flower 1.6.0's server): its aggregate() of float32 updates is float64 once a round has
        // 65,536 examples (NumPy 1.x value-based casting), and the reader used to refuse '<f8', so every site stopped at round 2.
        var arange = NpyFormat.Read(Fixture("f8_arange3.npy"), "t");
        Assert.Equal(NpyDtype.Float64, arange.Dtype);
        Assert.Equal([3], arange.Shape);
        Assert.Equal([0f, 1, 2], arange.Values);
        Assert.Equal(Fixture("f8_arange3.npy"), NpyFormat.Write(arange));

        float[] a = [0.1f, -0.25f, 0.3f, 1e-3f, 2.5f, -7f], b = [0.2f, 0.5f, -0.3f, 4e-3f, 1.25f, 3f];
        var fedavg = NpyFormat.Read(Fixture("f8_fedavg.npy"), "t");
        Assert.Equal(NpyDtype.Float64, fedavg.Dtype);
        Assert.Equal([2, 3], fedavg.Shape);
        // numpy: float32 * 40000 and the sum stay float32; / 80000 widens to float64.
        Assert.Equal(a.Zip(b, (x, y) => (float)((double)(x * 40000f + y * 40000f) / 80000)), fedavg.Values);
    }

    [Theory]
    [InlineData("bad_be_f4.npy", "dtype '>f4' (expected '<f4' float32, '<f2' float16 or '<f8' float64)")]
    [InlineData("bad_fortran.npy", "fortran_order is True (expected False: C order)")]
    public void Well_formed_files_of_other_layouts_are_refused(string name, string message)
    {
        var ex = Assert.Throws<FederatedException>(() => NpyFormat.Read(Fixture(name), "round 2: FitIns.parameters.tensors[0]"));
        Assert.Equal("round 2: FitIns.parameters.tensors[0]: " + message, ex.Message);
    }

    [Fact]
    public void Malformed_bytes_are_one_clear_error_each()
    {
        byte[] good = Fixture("f4_2x3.npy");
        string Error(byte[] bytes) => Assert.Throws<FederatedException>(() => NpyFormat.Read(bytes, "t")).Message;

        Assert.Contains("does not start with the .npy magic", Error([.. "PK\x03\x04"u8, .. good[4..]]));
        Assert.Contains("does not start with the .npy magic", Error([]));
        byte[] version = [.. good];
        version[6] = 4;
        Assert.Equal("t: .npy version 4.0 (expected 1.0, 2.0 or 3.0)", Error(version));
        Assert.Contains("(truncated)", Error(good[..^1]));
        Assert.Contains("needs 24 data bytes, found 23", Error(good[..^1]));
        Assert.Contains("(trailing bytes)", Error([.. good, 0]));
        byte[] lying = [.. good];
        BinaryPrimitives.WriteUInt16LittleEndian(lying.AsSpan(8), 60000);
        Assert.Contains("header length says 60000 bytes, but only", Error(lying));
        Assert.Contains("too short", Error(good[..9]));

        Assert.Contains("dtype '|O'", Error(WithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8)));
        Assert.Contains("header has key 'extra'", Error(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }", 4)));
        Assert.Contains("header lacks 'shape'", Error(WithHeader("{'descr': '<f4', 'fortran_order': False}", 4)));
        Assert.Contains("expected a non-negative dimension", Error(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4)));
        Assert.Contains("expected True or False", Error(WithHeader("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", 4)));
        // Double quotes, other key order and no trailing comma are valid Python and read.
        var other = NpyFormat.Read(WithHeader("{\"shape\": (1,), \"fortran_order\": False, \"descr\": \"<f4\"}", 4), "t");
        Assert.Equal([1], other.Shape);
    }

    /// <summary>A version 1.0 file with <paramref name="header"/> (not padded) and <paramref name="dataBytes"/> zero bytes.</summary>
    private static byte[] WithHeader(string header, int dataBytes)
    {
        byte[] text = Encoding.Latin1.GetBytes(header + "\n");
        var bytes = new byte[10 + text.Length + dataBytes];
        byte[] magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];
        magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)text.Length);
        text.CopyTo(bytes, 10);
        return bytes;
    }
}
