// Writer round trips for every dtype, the reference's header layout, atomic replacement and input validation.
using System.Buffers.Binary;
using System.Text;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Tensors;

public sealed class SafeTensorWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<DType> AllDTypes() => new(Enum.GetValues<DType>());

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void Round_trip_keeps_dtype_shape_and_bytes(DType dtype)
    {
        var rng = new Random((int)dtype + 7);
        long[] shape = [3, 5];
        var data = new byte[15 * DTypes.SizeOf(dtype)];
        rng.NextBytes(data);
        string path = _dir.File("t.safetensors");
        SafeTensorWriter.Write(path, [new SafeTensorEntry("w", dtype, shape, data), new SafeTensorEntry("s", dtype, [], data.AsMemory(0, DTypes.SizeOf(dtype)))]);
        using var file = SafeTensorFile.Open(path);
        var info = file.Tensors.Single(t => t.Name == "w");
        Assert.Equal(dtype, info.DType);
        Assert.Equal(shape, info.Shape);
        Assert.Equal(data, file.GetBytes("w").ToArray());
        Assert.Equal(data[..DTypes.SizeOf(dtype)], file.GetBytes("s").ToArray());
        Assert.Equal(dtype, DTypes.Parse(DTypes.Name(dtype)));
    }

    [Fact]
    public void Float_helpers_round_trip_through_ReadFloat32()
    {
        float[] values = [1f, -2.5f, 0.1f, 1e-7f, 70000f, float.NegativeInfinity];
        string path = _dir.File("f.safetensors");
        SafeTensorWriter.Write(path, [
            SafeTensorEntry.FromFloat32("f32", values, 2, 3),
            SafeTensorEntry.FromFloat32AsBF16("bf16", values, 6),
            SafeTensorEntry.FromFloat32AsF16("f16", values, 3, 2),
        ]);
        using var file = SafeTensorFile.Open(path);
        Assert.Equal(values, file.ReadFloat32("f32"));
        Assert.Equal(values.Select(v => ReducedPrecision.BF16ToFloat(ReducedPrecision.FloatToBF16(v))), file.ReadFloat32("bf16"));
        Assert.Equal(values.Select(v => (float)(Half)v), file.ReadFloat32("f16"));
        Assert.Equal([3L, 2L], file.Info("f16").Shape);
    }

    [Fact]
    public void Header_is_padded_with_spaces_to_a_multiple_of_eight_and_sorted_like_the_reference()
    {
        string path = _dir.File("h.safetensors");
        SafeTensorWriter.Write(path, [
            new SafeTensorEntry("b", DType.U8, [1], new byte[1]),
            new SafeTensorEntry("a", DType.U8, [1], new byte[1]),
            new SafeTensorEntry("z", DType.F32, [1], new byte[4]),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal("""{"__metadata__":{"format":"pt"},"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[1],"data_offsets":[4,5]},"b":{"dtype":"U8","shape":[1],"data_offsets":[5,6]}}""", header.TrimEnd(' '));
        Assert.Equal(8 + n + 6, bytes.Length);
    }

    [Fact]
    public void Writing_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        string path = _dir.File("x.safetensors");
        File.WriteAllText(path, "old");
        SafeTensorWriter.Write(path, [SafeTensorEntry.FromFloat32("w", [1f, 2f], 2)]);
        Assert.Equal(["x.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        using var file = SafeTensorFile.Open(path);
        Assert.Equal([1f, 2f], file.ReadFloat32("w"));
    }

    [Fact]
    public void Failed_write_leaves_the_old_file_untouched()
    {
        string path = _dir.File("x.safetensors");
        File.WriteAllText(path, "old");
        Assert.Throws<EngineException>(() => SafeTensorWriter.Write(path, [new SafeTensorEntry("w", DType.F32, [2], new byte[7])]));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Data_length_must_match_shape_and_dtype()
    {
        var ex = Assert.Throws<EngineException>(() => SafeTensorWriter.Write(_dir.File("bad.safetensors"),
            [new SafeTensorEntry("w", DType.BF16, [2, 2], new byte[6])]));
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("needs 8", ex.Message);
        Assert.Throws<EngineException>(() => SafeTensorEntry.FromFloat32("v", [1f, 2f, 3f], 2, 2));
    }

    [Fact]
    public void Duplicate_or_reserved_names_are_refused()
    {
        Assert.Contains("more than once", Assert.Throws<EngineException>(() => SafeTensorWriter.Write(_dir.File("d.safetensors"),
            [SafeTensorEntry.FromFloat32("w", [1f], 1), SafeTensorEntry.FromFloat32("w", [2f], 1)])).Message);
        Assert.Throws<EngineException>(() => SafeTensorWriter.Write(_dir.File("m.safetensors"), [SafeTensorEntry.FromFloat32("__metadata__", [1f], 1)]));
    }

    [Fact]
    public void Unknown_dtype_name_is_an_engine_error() =>
        Assert.Contains("F4", Assert.Throws<EngineException>(() => DTypes.Parse("F4")).Message);
}
