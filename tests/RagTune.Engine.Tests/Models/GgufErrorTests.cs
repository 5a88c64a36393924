// Bad GGUF input: a copy of a committed fixture with one field patched in place (same length, so every offset stays
// valid) or the file cut short. Each gives one EngineException that names the file and the field or tensor at fault.
using System.Text;
using RagTune.Engine.Formats;
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public sealed class GgufErrorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-gguf-" + Guid.NewGuid().ToString("N"));

    public GgufErrorTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Path, byte[] Bytes) Copy(string fixture)
    {
        string path = System.IO.Path.Combine(_dir, fixture + ".gguf");
        return (path, File.ReadAllBytes(GgufFixtureTests.PathOf(fixture)));
    }

    /// <summary>Where the value of metadata <paramref name="key"/> starts: after its length-prefixed name and u32 type.</summary>
    private static int ValueOffset(byte[] file, string key)
    {
        var name = new byte[8 + Encoding.UTF8.GetByteCount(key)];
        BitConverter.TryWriteBytes(name, (ulong)(name.Length - 8));
        Encoding.UTF8.GetBytes(key, name.AsSpan(8));
        int at = file.AsSpan().IndexOf(name);
        Assert.True(at >= 0, $"fixture has no key {key}");
        return at + name.Length + 4;
    }

    /// <summary>Where tensor <paramref name="tensor"/>'s ggml type sits in the tensor table.</summary>
    private static int TensorTypeOffset(byte[] file, string tensor)
    {
        int at = ValueOffset(file, tensor) - 4;   // the tensor name, then u32 dimension count
        int dims = BitConverter.ToInt32(file, at);
        return at + 4 + 8 * dims;
    }

    private EngineException LoadFails(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<EngineException>(() => DecoderModel.Load(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Unknown_architecture_names_general_architecture()
    {
        var (path, bytes) = Copy("qwen2-small-q4_0");
        int at = ValueOffset(bytes, "general.architecture") + 8;
        Assert.Equal("qwen2", Encoding.UTF8.GetString(bytes, at, 5));
        Encoding.UTF8.GetBytes("mamba").CopyTo(bytes, at);
        var e = LoadFails(path, bytes);
        Assert.Contains("general.architecture is \"mamba\"", e.Message);
        Assert.Contains("llama, internlm2, qwen2, qwen3, gpt2", e.Message);
    }

    [Theory]
    [InlineData(99u, "ggml type 99,")]
    [InlineData(16u, "ggml type 16 (IQ2_XXS)")]
    public void Unknown_tensor_type_names_the_tensor(uint type, string expected)
    {
        var (path, bytes) = Copy("qwen3-small-q4_k_m");
        BitConverter.TryWriteBytes(bytes.AsSpan(TensorTypeOffset(bytes, "blk.1.ffn_norm.weight")), type);
        var e = LoadFails(path, bytes);
        Assert.Contains("tensor 'blk.1.ffn_norm.weight'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    // Types whose block layout is known (so sizes and extents check out) but that no kernel widens: refused when the
    // model is opened, not when the first forward reaches the tensor. blk.0.attn_k.weight has rows of 256 weights, one
    // K-quant super-block, and each of these types' data fits where the Q4_K data was.
    [Theory]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q8_K)]
    public void A_known_type_no_kernel_reads_is_refused_at_open_naming_the_type_and_the_readable_ones(GgmlType type)
    {
        var (path, bytes) = Copy("qwen3-small-q4_k_m");
        BitConverter.TryWriteBytes(bytes.AsSpan(TensorTypeOffset(bytes, "blk.0.attn_k.weight")), (uint)type);
        var e = LoadFails(path, bytes);
        Assert.Contains($"tensor 'blk.0.attn_k.weight' has ggml type {(uint)type} ({type}), which RagTune cannot read", e.Message);
        Assert.Contains($"expected one of {string.Join(", ", GgmlTypes.Readable)}", e.Message);
    }

    [Fact]
    public void Truncated_tensor_data_names_the_tensor_that_runs_past_the_end()
    {
        var (path, bytes) = Copy("llama-small-q4_k_m");
        var e = LoadFails(path, bytes[..^1000]);
        Assert.Contains("runs past the end of the file", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Matches("tensor '[a-z0-9_.]+'", e.Message);
    }

    [Fact]
    public void Truncated_header_is_reported_as_truncated()
    {
        var (path, bytes) = Copy("llama-small-q4_k_m");
        var e = LoadFails(path, bytes[..2000]);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Embedding_length_contradicting_token_embd_names_both()
    {
        var (path, bytes) = Copy("qwen3-small-q4_k_m");   // key_length fixes the head size, so only token_embd disagrees
        int at = ValueOffset(bytes, "qwen3.embedding_length");
        Assert.Equal(256u, BitConverter.ToUInt32(bytes, at));
        BitConverter.TryWriteBytes(bytes.AsSpan(at), 128u);
        var e = LoadFails(path, bytes);
        Assert.Contains("token_embd.weight", e.Message);
        Assert.Contains("qwen3.embedding_length = 128", e.Message);
    }

    [Fact]
    public void Feed_forward_length_contradicting_a_tensor_names_the_tensor_and_the_key()
    {
        var (path, bytes) = Copy("qwen3-small-q5_k_m");
        int at = ValueOffset(bytes, "qwen3.feed_forward_length");
        BitConverter.TryWriteBytes(bytes.AsSpan(at), 768u);
        var e = LoadFails(path, bytes);
        Assert.Contains("tensor 'blk.0.ffn_gate.weight' has shape [512, 256], expected [768, 256]", e.Message);
        Assert.Contains("feed_forward_length 768", e.Message);
    }

    [Fact]
    public void Head_count_kv_not_dividing_head_count_is_named()
    {
        var (path, bytes) = Copy("llama-small-q8_0");
        BitConverter.TryWriteBytes(bytes.AsSpan(ValueOffset(bytes, "llama.attention.head_count_kv")), 3u);
        var e = LoadFails(path, bytes);
        Assert.Contains("'llama.attention.head_count_kv' is 3, expected a divisor of llama.attention.head_count (4)", e.Message);
    }

    [Fact]
    public void Missing_hyper_parameter_is_named()
    {
        var (path, bytes) = Copy("qwen2-small-q4_0");
        int at = ValueOffset(bytes, "qwen2.context_length") - 4 - 1;   // the key's last character
        bytes[at] = (byte)'X';
        var e = LoadFails(path, bytes);
        Assert.Contains("'qwen2.context_length' is missing", e.Message);
    }
}
