// Reads a safetensors file written from PyTorch tensors (tools/reference/make_safetensors_fixture.py) and checks every value.
using System.Runtime.InteropServices;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Tensors;

public sealed class TorchFixtureTests
{
    internal static readonly string FixturePath =
        Path.Combine(AppContext.BaseDirectory, "TestData", "safetensors", "torch_fixture.safetensors");

    [Fact]
    public void Header_lists_every_tensor_in_offset_order_with_metadata()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("make_safetensors_fixture.py", file.Metadata["source"]);
        Assert.Equal(13, file.Tensors.Count);
        // The reference writer orders by dtype (widest first), then name; offsets follow that order.
        Assert.Equal(["i64.vector", "f64.vector", "f32.empty", "f32.matrix", "f32.probes", "f32.scalar", "i32.matrix",
            "bf16.probes", "model.embed_tokens.weight", "f16.probes", "i8.vector", "u8.vector", "bool.vector"],
            file.Tensors.Select(t => t.Name));
        for (int i = 1; i < file.Tensors.Count; i++)
            Assert.Equal(file.Tensors[i - 1].DataOffset + file.Tensors[i - 1].ByteLength, file.Tensors[i].DataOffset);
        Assert.True(file.TryGetInfo("f32.matrix", out var info));
        Assert.Equal(DType.F32, info.DType);
        Assert.Equal([2L, 3L], info.Shape);
        Assert.Equal(6, info.ElementCount);
        Assert.Equal(24, info.ByteLength);
        Assert.Equal(FixturePath, info.File);
        Assert.False(file.TryGetInfo("nope", out _));
    }

    [Fact]
    public void Float_tensors_match_the_values_torch_wrote()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        Assert.Equal([-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f], file.ReadFloat32("f32.matrix"));
        Assert.Equal([(float)(1.0 / 3.0), -2.0f, 0.0f], file.ReadFloat32("f64.vector"));
        Assert.Equal([42.5f], file.ReadFloat32("f32.scalar"));
        Assert.Empty(file.ReadFloat32("f32.empty"));
        Assert.Equal(0, file.Info("f32.empty").ElementCount);
        Assert.Empty(file.Info("f32.scalar").Shape);
        var embed = file.ReadFloat32("model.embed_tokens.weight");
        Assert.Equal(Enumerable.Range(0, 24).Select(i => i / 8.0f), embed);
    }

    [Fact]
    public void Torch_half_and_bfloat16_roundings_equal_ours_bit_for_bit()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        var probes = file.ReadFloat32("f32.probes");
        var torchBf16 = MemoryMarshal.Cast<byte, ushort>(file.GetBytes("bf16.probes")).ToArray();
        var torchF16 = MemoryMarshal.Cast<byte, ushort>(file.GetBytes("f16.probes")).ToArray();
        Assert.Equal(torchBf16, probes.Select(ReducedPrecision.FloatToBF16));
        Assert.Equal(torchF16, probes.Select(ReducedPrecision.FloatToHalf));
        Assert.Equal(MemoryMarshal.AsBytes(torchBf16.AsSpan()).ToArray(),
            SafeTensorEntry.FromFloat32AsBF16("x", probes, probes.Length).Data.ToArray());
        Assert.Equal(MemoryMarshal.AsBytes(torchF16.AsSpan()).ToArray(),
            SafeTensorEntry.FromFloat32AsF16("x", probes, probes.Length).Data.ToArray());

        var bf16 = file.ReadFloat32("bf16.probes");
        var f16 = file.ReadFloat32("f16.probes");
        // Hand-checked cases: pi to 8 mantissa bits; 1+2^-8 is a tie that goes to even (1.0); 65520 overflows half.
        Assert.Equal(3.140625f, bf16[4]);
        Assert.Equal(1.0f, bf16[14]);
        Assert.Equal(1.015625f, bf16[15]);
        Assert.Equal(65504f, f16[6]);
        Assert.Equal(float.PositiveInfinity, f16[7]);
        Assert.Equal(float.PositiveInfinity, f16[8]);
        Assert.Equal(0f, f16[9]);
        Assert.Equal(float.NegativeInfinity, bf16[21]);
    }

    [Fact]
    public void Integer_and_bool_tensors_keep_their_bytes()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        Assert.Equal(new sbyte[] { -128, -1, 0, 1, 127 }, MemoryMarshal.Cast<byte, sbyte>(file.GetBytes("i8.vector")).ToArray());
        Assert.Equal(new byte[] { 0, 1, 254, 255 }, file.GetBytes("u8.vector").ToArray());
        Assert.Equal([-3, -2, -1, 0, 1, 2], MemoryMarshal.Cast<byte, int>(file.GetBytes("i32.matrix")).ToArray());
        Assert.Equal([-(1L << 40), 0L, 1L << 62], MemoryMarshal.Cast<byte, long>(file.GetBytes("i64.vector")).ToArray());
        Assert.Equal(new byte[] { 1, 0, 1 }, file.GetBytes("bool.vector").ToArray());
        Assert.Equal(DType.Bool, file.Info("bool.vector").DType);
    }

    [Fact]
    public unsafe void Pointer_addresses_the_same_bytes_as_the_span()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        byte* p = file.GetPointer("i32.matrix");
        Assert.Equal(-3, *(int*)p);
        fixed (byte* s = file.GetBytes("i32.matrix"))
            Assert.True(p == s);
    }

    [Fact]
    public void Reading_an_integer_tensor_as_float_names_tensor_and_dtype()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        var ex = Assert.Throws<EngineException>(() => file.ReadFloat32("i8.vector"));
        Assert.Contains("i8.vector", ex.Message);
        Assert.Contains("I8", ex.Message);
        Assert.Contains(FixturePath, ex.Message);
    }

    [Fact]
    public void Destination_length_is_checked()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        var ex = Assert.Throws<EngineException>(() => file.ReadFloat32("f32.matrix", new float[5]));
        Assert.Contains("f32.matrix", ex.Message);
        var ok = new float[6];
        file.ReadFloat32("f32.matrix", ok);
        Assert.Equal(1.5f, ok[5]);
    }

    [Fact]
    public void Missing_tensor_names_tensor_and_file()
    {
        using var file = SafeTensorFile.Open(FixturePath);
        var ex = Assert.Throws<EngineException>(() => file.GetBytes("lm_head.weight"));
        Assert.Contains("'lm_head.weight'", ex.Message);
        Assert.Contains(FixturePath, ex.Message);
    }

    [Fact]
    public void Our_writer_reproduces_the_reference_layout_byte_for_byte()
    {
        using var dir = new TempDirectory();
        using (var file = SafeTensorFile.Open(FixturePath))
        {
            // Given in reverse to prove the writer imposes the reference order itself.
            var entries = file.Tensors.Reverse()
                .Select(t => new SafeTensorEntry(t.Name, t.DType, t.Shape, file.GetBytes(t.Name).ToArray()))
                .ToList();
            SafeTensorWriter.Write(dir.File("copy.safetensors"), entries, file.Metadata);
        }
        Assert.Equal(File.ReadAllBytes(FixturePath), File.ReadAllBytes(dir.File("copy.safetensors")));
    }
}
