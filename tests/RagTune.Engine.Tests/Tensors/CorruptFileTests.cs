// Every validation rule of the reference safetensors reader, each proven with a hand-crafted corrupt file.
using System.Buffers.Binary;
using System.Text;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Tensors;

public sealed class CorruptFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteRaw(byte[] bytes)
    {
        string path = _dir.File(Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Compose(string header, int dataBytes, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes; i++)
            bytes[8 + json.Length + i] = (byte)i;
        return bytes;
    }

    private string Write(string header, int dataBytes) => WriteRaw(Compose(header, dataBytes));

    private EngineException Fails(string path)
    {
        var ex = Assert.Throws<EngineException>(() => SafeTensorFile.Open(path).Dispose());
        Assert.Contains(path, ex.Message);
        return ex;
    }

    private const string Two = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";

    [Fact]
    public void A_valid_file_opens_with_trailing_spaces_in_the_header()
    {
        using var file = SafeTensorFile.Open(Write(Two + "    ", 12));
        Assert.Equal(2, file.Tensors.Count);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Empty_header_object_with_no_data_is_valid()
    {
        using var file = SafeTensorFile.Open(Write("{}", 0));
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void File_shorter_than_eight_bytes() =>
        Assert.Contains("at least 8", Fails(WriteRaw([1, 0, 0])).Message);

    [Fact]
    public void Header_length_above_100_MB() =>
        Assert.Contains("exceeds the limit", Fails(WriteRaw(Compose(Two, 12, 100_000_001))).Message);

    [Fact]
    public void Header_length_runs_past_the_file() =>
        Assert.Contains("truncated header", Fails(WriteRaw(Compose(Two, 0, (ulong)Two.Length + 1))).Message);

    [Fact]
    public void Truncated_header_json()
    {
        var full = Compose(Two, 12);
        // Declare a header shorter than the JSON: the object is cut in the middle.
        BinaryPrimitives.WriteUInt64LittleEndian(full, 20);
        Assert.Contains("JSON", Fails(WriteRaw(full)).Message);
    }

    [Fact]
    public void Truncated_data() =>
        Assert.Contains("'b'", Fails(Write(Two, 10)).Message);

    [Fact]
    public void Trailing_bytes_after_the_last_tensor_are_rejected_like_the_reference() =>
        Assert.Contains("trailing bytes", Fails(Write(Two, 13)).Message);

    [Fact]
    public void Bad_json() =>
        Assert.Contains("well-formed", Fails(Write("""{"a":{"dtype":"F32",,}}""", 0)).Message);

    [Fact]
    public void Json_comment_is_not_allowed() =>
        Fails(Write("""{/* c */}""", 0));

    [Fact]
    public void Content_after_the_object() =>
        Fails(Write("{} {}", 0));

    [Fact]
    public void Header_that_is_not_an_object() =>
        Assert.Contains("starting with '{'", Fails(Write("""[1,2]""", 0)).Message);

    [Fact]
    public void Leading_whitespace_is_rejected_like_the_reference() =>
        Fails(Write(" {}", 0));

    [Fact]
    public void Invalid_utf8_header()
    {
        var bytes = Compose("{\"a\":1}", 0);
        bytes[10] = 0xFF;
        Assert.Contains("UTF-8", Fails(WriteRaw(bytes)).Message);
    }

    [Fact]
    public void Duplicate_tensor_names()
    {
        var ex = Fails(Write("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8));
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("more than once", ex.Message);
    }

    [Fact]
    public void Hole_between_tensors()
    {
        var ex = Fails(Write("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12));
        Assert.Contains("'b'", ex.Message);
        Assert.Contains("hole", ex.Message);
    }

    [Fact]
    public void Data_not_starting_at_zero() =>
        Assert.Contains("hole", Fails(Write("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8)).Message);

    [Fact]
    public void Overlapping_tensors()
    {
        var ex = Fails(Write("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12));
        Assert.Contains("'b'", ex.Message);
        Assert.Contains("overlaps", ex.Message);
    }

    [Fact]
    public void End_before_begin() =>
        Assert.Contains("end before begin", Fails(Write("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"U8","shape":[0],"data_offsets":[4,2]}}""", 4)).Message);

    [Fact]
    public void Byte_length_differs_from_element_count_times_size()
    {
        var ex = Fails(Write("""{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}}""", 8));
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("needs 12", ex.Message);
    }

    [Fact]
    public void Shape_overflow_is_caught() =>
        Assert.Contains("overflows", Fails(Write("""{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8)).Message);

    [Fact]
    public void Unknown_dtype_names_tensor_and_dtype()
    {
        var ex = Fails(Write("""{"w":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,1]}}""", 1));
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("Q4_K", ex.Message);
    }

    [Fact]
    public void Offsets_beyond_the_file()
    {
        var ex = Fails(Write("""{"w":{"dtype":"U8","shape":[1000],"data_offsets":[0,1000]}}""", 16));
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Theory]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "no dtype")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", "no shape")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""", "no data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", "2 numbers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "non-negative")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "non-negative")]
    [InlineData("""{"w":{"dtype":3,"shape":[1],"data_offsets":[0,4]}}""", "dtype must be a string")]
    [InlineData("""{"w":[1,2]}""", "must be an object")]
    [InlineData("""{"__metadata__":{"format":1}}""", "__metadata__ value of 'format'")]
    [InlineData("""{"__metadata__":[]}""", "__metadata__ must be an object")]
    public void Malformed_entries_name_the_field(string header, string expected)
    {
        var ex = Fails(Write(header, 4));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Missing_file() =>
        Assert.Contains("not found", Assert.Throws<EngineException>(() => SafeTensorFile.Open(_dir.File("absent.safetensors"))).Message);

    [Fact]
    public void Unknown_fields_in_an_entry_are_ignored_like_the_reference()
    {
        using var file = SafeTensorFile.Open(Write("""{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":{"x":[1]}}}""", 2));
        Assert.Equal([0, 1], file.GetBytes("w").ToArray());
    }
}
