// GgufWriter against the GGUF reader: every metadata value type (arrays and arrays of arrays included) reads back as
// written, tensor data lands at aligned offsets, and misuse is refused before anything is written.
using RagTune.Engine.Formats;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Formats;

public class GgufWriterTests
{
    private static async Task<GgufFile> WriteAndRead(GgufWriter writer, TempDirectory dir)
    {
        string path = dir.File("t.gguf");
        await using (var fs = File.Create(path)) await writer.WriteAsync(fs, TestContext.Current.CancellationToken);
        return GgufFile.Read(path);
    }

    [Fact]
    public async Task Every_value_type_reads_back_as_written()
    {
        using var dir = new TempDirectory();
        var values = new Dictionary<string, object>
        {
            ["u8"] = (byte)200, ["i8"] = (sbyte)-5, ["u16"] = (ushort)60000, ["i16"] = (short)-30000,
            ["u32"] = 4_000_000_000u, ["i32"] = -2_000_000_000, ["f32"] = 1.5f, ["bool"] = true, ["str"] = "héllo ✓",
            ["u64"] = ulong.MaxValue, ["i64"] = long.MinValue, ["f64"] = Math.PI,
            ["a.u8"] = new byte[] { 1, 2 }, ["a.i32"] = new[] { -1, 7 }, ["a.f32"] = new[] { 0.25f, -2f },
            ["a.str"] = new[] { "a", "", "ß" }, ["a.bool"] = new[] { true, false }, ["a.f64"] = new[] { 1e300 },
            ["a.i64"] = new[] { long.MaxValue }, ["a.u16"] = new ushort[] { 9 },
            ["a.nested"] = new object[] { new[] { 1, 2 }, new[] { "x" } },
        };
        var writer = new GgufWriter();
        foreach (var (k, v) in values) writer.Add(k, v);
        var file = await WriteAndRead(writer, dir);

        Assert.Equal(3u, file.Version);
        Assert.Equal(values.Keys.Order(), file.Metadata.Keys.Order());
        foreach (var (k, v) in values.Where(p => p.Value is not Array))
            Assert.Equal(v, file.Metadata[k]);
        Assert.Equal(GgufValueType.UInt32, file.MetadataTypes["u32"]);
        Assert.Equal(GgufValueType.Float64, file.MetadataTypes["f64"]);
        Assert.Equal(new byte[] { 1, 2 }, file.Metadata["a.u8"]);
        Assert.Equal(new[] { -1, 7 }, file.Metadata["a.i32"]);
        Assert.Equal(new[] { 0.25f, -2f }, file.Metadata["a.f32"]);
        Assert.Equal(new[] { "a", "", "ß" }, file.Metadata["a.str"]);
        Assert.Equal(new[] { true, false }, file.Metadata["a.bool"]);
        Assert.Equal(new[] { 1e300 }, file.Metadata["a.f64"]);
        Assert.Equal(new[] { long.MaxValue }, file.Metadata["a.i64"]);
        Assert.Equal(new ushort[] { 9 }, file.Metadata["a.u16"]);
        var nested = Assert.IsType<object[]>(file.Metadata["a.nested"]);
        Assert.Equal(new[] { 1, 2 }, nested[0]);
        Assert.Equal(new[] { "x" }, nested[1]);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(64u)]
    public async Task Tensors_are_aligned_and_hold_their_bytes(uint alignment)
    {
        using var dir = new TempDirectory();
        var writer = new GgufWriter().Add("general.architecture", "test");
        if (alignment != 0) writer.Add("general.alignment", alignment);
        byte[] a = Enumerable.Range(0, 3 * 4).Select(i => (byte)i).ToArray();     // F32 [3]
        byte[] b = Enumerable.Range(0, 2 * 34).Select(i => (byte)(i * 7)).ToArray(); // Q8_0 [32, 2]
        writer.AddTensor("a", [3], GgmlType.F32, () => a);
        writer.AddTensor("b", [32, 2], GgmlType.Q8_0, () => b);
        var file = await WriteAndRead(writer, dir);

        uint align = alignment == 0 ? GgufWriter.DefaultAlignment : alignment;
        Assert.Equal(0, file.DataOffset % align);
        Assert.Equal(["a", "b"], file.Tensors.Select(t => t.Name));
        Assert.Equal(new ulong[] { 32, 2 }, file.Tensors[1].Dimensions);
        Assert.Equal((uint)GgmlType.Q8_0, file.Tensors[1].GgmlType);
        Assert.Equal(0UL, file.Tensors[0].Offset);
        Assert.Equal((ulong)align, file.Tensors[1].Offset);  // 12 bytes of "a", padded to the alignment
        byte[] bytes = File.ReadAllBytes(dir.File("t.gguf"));
        Assert.Equal(a, bytes.AsSpan((int)file.DataOffset, a.Length).ToArray());
        Assert.Equal(b, bytes.AsSpan((int)(file.DataOffset + (long)file.Tensors[1].Offset), b.Length).ToArray());
        Assert.Equal(file.DataOffset + align + b.Length + (align - b.Length % align) % align, bytes.Length);
    }

    [Fact]
    public async Task Tensor_data_of_the_wrong_length_is_an_error_naming_the_tensor()
    {
        var writer = new GgufWriter().AddTensor("blk.0.attn_q.weight", [32, 1], GgmlType.Q8_0, () => new byte[33]);
        var e = await Assert.ThrowsAsync<EngineException>(() => writer.WriteAsync(new MemoryStream(), TestContext.Current.CancellationToken));
        Assert.Contains("blk.0.attn_q.weight", e.Message);
        Assert.Contains("33 bytes, expected 34", e.Message);
    }

    [Fact]
    public void Misuse_is_refused_when_added()
    {
        var writer = new GgufWriter().Add("k", 1);
        Assert.Throws<ArgumentException>(() => writer.Add("k", 2));
        Assert.Throws<ArgumentException>(() => writer.Add("general.alignment", 48u));
        Assert.Throws<ArgumentException>(() => writer.Add("general.alignment", 32));   // int, not uint
        Assert.Throws<ArgumentException>(() => writer.Add("d", new decimal(1)));
        Assert.Throws<ArgumentException>(() => writer.Add("n", new object[] { 1 }));
        Assert.Throws<ArgumentException>(() => writer.Add("s", new string[] { null! }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q", [48, 2], GgmlType.Q8_0, () => []));  // 48 is not whole blocks of 32
        writer.AddTensor("t", [4], GgmlType.F32, () => new byte[16]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", [4], GgmlType.F32, () => new byte[16]));
    }
}
