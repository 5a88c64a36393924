// Tensors past the internal conversion chunk and past 2 GB, built as sparse files so they cost no disk or time.
using System.Buffers.Binary;
using System.Text;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Tensors;

public sealed class LargeTensorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Writes a one-tensor file whose data is zeros except for the given (element index, bytes) pokes.</summary>
    private string SparseFile(DType dtype, long elements, params (long Index, byte[] Bytes)[] pokes)
    {
        long bytes = elements * DTypes.SizeOf(dtype);
        string header = $$$"""{"big":{"dtype":"{{{DTypes.Name(dtype)}}}","shape":[{{{elements}}}],"data_offsets":[0,{{{bytes}}}]}}""";
        header = header.PadRight((header.Length + 7) / 8 * 8);
        string path = _dir.File("big.safetensors");
        using var stream = new FileStream(path, FileMode.CreateNew);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        long dataStart = stream.Position;
        stream.SetLength(dataStart + bytes);
        foreach (var (index, value) in pokes)
        {
            stream.Position = dataStart + index * DTypes.SizeOf(dtype);
            stream.Write(value);
        }
        return path;
    }

    [Fact]
    public void Float_conversion_is_exact_across_the_16M_element_chunk_boundary()
    {
        const long boundary = 1 << 24;
        long n = boundary + 5;
        string path = SparseFile(DType.BF16, n,
            (0, BitConverter.GetBytes((ushort)0x3F80)),
            (boundary - 1, BitConverter.GetBytes((ushort)0x4000)),
            (boundary, BitConverter.GetBytes((ushort)0xC040)),
            (n - 1, BitConverter.GetBytes((ushort)0x7F80)));
        using var file = SafeTensorFile.Open(path);
        var values = file.ReadFloat32("big");
        Assert.Equal(n, values.Length);
        Assert.Equal(1f, values[0]);
        Assert.Equal(2f, values[boundary - 1]);
        Assert.Equal(-3f, values[boundary]);
        Assert.Equal(0f, values[boundary + 1]);
        Assert.Equal(float.PositiveInfinity, values[n - 1]);
    }

    [Fact]
    public unsafe void Tensors_over_2_GB_are_reachable_by_pointer_but_not_as_a_span()
    {
        long n = (1L << 31) + 16;
        string path = SparseFile(DType.U8, n, (n - 1, [42]));
        using var file = SafeTensorFile.Open(path);
        var ex = Assert.Throws<EngineException>(() => file.GetBytes("big"));
        Assert.Contains("'big'", ex.Message);
        Assert.Equal(42, file.GetPointer("big")[n - 1]);
        Assert.Equal(n, file.Info("big").ByteLength);
    }
}
