// The serialization and validation test vectors of the reference implementation, huggingface/safetensors
// (safetensors/src/tensor.rs, `mod tests`; Apache-2.0), replayed against our writer and reader.
using System.Buffers.Binary;
using System.Text;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Tensors;

public sealed class ReferenceVectorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>8-byte little-endian length, then the header text, then the tail bytes, as the Rust byte strings spell them.</summary>
    private static byte[] Compose(ulong declaredLength, string header, int zeroTail = 0, string textTail = "")
    {
        var json = Encoding.UTF8.GetBytes(header);
        var tail = Encoding.ASCII.GetBytes(textTail);
        var bytes = new byte[8 + json.Length + zeroTail + tail.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength);
        json.CopyTo(bytes, 8);
        tail.CopyTo(bytes, 8 + json.Length + zeroTail);
        return bytes;
    }

    private string Save(byte[] bytes)
    {
        string path = _dir.File(Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] F32(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private byte[] Written(IEnumerable<SafeTensorEntry> tensors, Dictionary<string, string>? metadata = null)
    {
        string path = _dir.File(Guid.NewGuid().ToString("N") + ".safetensors");
        SafeTensorWriter.Write(path, tensors, metadata);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void test_serialization()
    {
        byte[] expected = [64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];
        Assert.Equal(expected, Written([new SafeTensorEntry("attn.0", DType.F32, [1, 2, 3], F32(0, 1, 2, 3, 4, 5))]));
    }

    [Fact]
    public void test_serialization_forced_alignement()
    {
        byte[] expected = [72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
            121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
            91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
            115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
            32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
            160, 64];
        Assert.Equal(expected, Written([new SafeTensorEntry("attn0", DType.F32, [1, 1, 2, 3], F32(0, 1, 2, 3, 4, 5))]));
    }

    [Fact]
    public void test_empty()
    {
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], Written([]));
        byte[] withMetadata = [40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
            95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
            116, 34, 125, 125, 32, 32, 32, 32, 32];
        Assert.Equal(withMetadata, Written([], new Dictionary<string, string> { ["framework"] = "pt" }));
        using var file = SafeTensorFile.Open(Save(withMetadata));
        Assert.Equal("pt", file.Metadata["framework"]);
    }

    [Fact]
    public void test_deserialization()
    {
        using var file = SafeTensorFile.Open(Save(Compose(60, """{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""", 16)));
        var info = Assert.Single(file.Tensors);
        Assert.Equal("test", info.Name);
        Assert.Equal([2L, 2L], info.Shape);
        Assert.Equal(DType.I32, info.DType);
        Assert.Equal(new byte[16], file.GetBytes("test").ToArray());
    }

    [Fact]
    public void test_empty_shapes_allowed()
    {
        using var file = SafeTensorFile.Open(Save(Compose(56, """{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}""", 4)));
        Assert.Empty(file.Info("test").Shape);
        Assert.Equal(new byte[4], file.GetBytes("test").ToArray());
    }

    [Fact]
    public void test_zero_sized_tensor()
    {
        using var file = SafeTensorFile.Open(Save(Compose(60, """{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}""")));
        Assert.Equal([2L, 0L], file.Info("test").Shape);
        Assert.Equal(0, file.GetBytes("test").Length);
    }

    [Fact]
    public void test_whitespace_padded_header()
    {
        using var file = SafeTensorFile.Open(Save(Compose(6, "{}\r \t\n")));
        Assert.Empty(file.Tensors);
    }

    public static TheoryData<string, byte[]> Rejected() => new()
    {
        { "test_json_attack", Compose(
            (ulong)JsonAttack.Length, JsonAttack, 16) },
        { "test_metadata_incomplete_buffer (extra data)", Compose(60, """{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""", 16, "extra_bogus_data_for_polyglot_file") },
        { "test_metadata_incomplete_buffer (missing data)", Compose(60, """{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""", 14) },
        { "test_header_too_large", Compose(0xFFFFFF000000003C, """{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""", 16) },
        { "test_header_too_small", [] },
        { "test_invalid_header_length", Compose(60, "") },
        { "test_invalid_header_non_utf8", [1, 0, 0, 0, 0, 0, 0, 0, 0xFF] },
        { "test_invalid_header_not_json", Compose(1, "{") },
        { "test_whitespace_start_padded_header_is_not_allowed", Compose(6, "\t\n{}\r ") },
        { "test_invalid_info", Compose(60, """{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}""") },
        { "test_validation_overflow (shape)", Compose(79, """{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}""", 16) },
        { "test_validation_overflow (bytes)", Compose(78, """{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}""", 16) },
    };

    private static readonly string JsonAttack = "{" + string.Join(",", Enumerable.Range(0, 10)
        .Select(i => $$"""
            "weight_{{i}}":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}
            """)) + "}";

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Reference_rejections_are_rejected(string referenceTest, byte[] bytes)
    {
        string path = Save(bytes);
        var ex = Assert.Throws<EngineException>(() => SafeTensorFile.Open(path).Dispose());
        Assert.True(ex.Message.Contains(path, StringComparison.Ordinal), $"{referenceTest}: {ex.Message}");
    }
}
