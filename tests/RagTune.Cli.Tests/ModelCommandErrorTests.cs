// Bad model folders and bad arguments: one clear line on stderr, a non-zero exit code.
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class ModelCommandErrorTests
{
    private static async Task<string> FailsWithOneLine(params string[] args)
    {
        var r = await CliHarness.RunAsync(args);
        Assert.NotEqual(0, r.ExitCode);
        string line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("ragtune: error: ", line);
        return line;
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("embed")]
    [InlineData("inspect")]
    public async Task Missing_directory(string command)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ragtune-no-such-model-" + Guid.NewGuid().ToString("N"));
        string[] args = command switch
        {
            "generate" => ["generate", "--model", dir, "--prompt", "hi"],
            "embed" => ["embed", "--model", dir, "hi"],
            _ => ["inspect", dir],
        };
        Assert.Contains($"model directory {dir} does not exist", await FailsWithOneLine(args));
    }

    [Fact]
    public async Task Corrupt_safetensors_header()
    {
        using var tmp = new TempDirectory();
        string dir = ModelFixtures.CopyTo("qwen2-tiny", tmp.Path);
        string file = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(file);
        bytes[8] = (byte)'[';  // the header must be a JSON object
        File.WriteAllBytes(file, bytes);
        string line = await FailsWithOneLine("generate", "--model", dir, "--prompt", "hi");
        Assert.Contains("model.safetensors", line);
    }

    [Fact]
    public async Task Truncated_safetensors_file()
    {
        using var tmp = new TempDirectory();
        string dir = ModelFixtures.CopyTo("llama-tiny", tmp.Path);
        string shard = Path.Combine(dir, "model-00002-of-00002.safetensors");
        using (var f = File.Open(shard, FileMode.Open)) f.SetLength(f.Length - 100);
        string line = await FailsWithOneLine("generate", "--model", dir, "--prompt-ids", "1,2");
        Assert.Contains("model-00002-of-00002.safetensors", line);
    }

    [Fact]
    public async Task Unsupported_dtype()
    {
        using var tmp = new TempDirectory();
        string dir = ModelFixtures.CopyTo("bert-tiny-cls", tmp.Path);
        string file = Path.Combine(dir, "model.safetensors");
        List<SafeTensorEntry> entries;
        using (var st = SafeTensorFile.Open(file))
            entries = st.Tensors.Select(t => t.Name == "embeddings.LayerNorm.bias"
                ? new SafeTensorEntry(t.Name, DType.I32, t.Shape, new byte[t.ByteLength])
                : new SafeTensorEntry(t.Name, t.DType, t.Shape, st.GetBytes(t.Name).ToArray())).ToList();
        SafeTensorWriter.Write(file, entries);
        string line = await FailsWithOneLine("embed", "--model", dir, "hello");
        Assert.Contains("'embeddings.LayerNorm.bias' has dtype I32, expected one of F32, F16, BF16", line);
    }

    [Fact]
    public async Task Bad_config()
    {
        using var tmp = new TempDirectory();
        string dir = ModelFixtures.CopyTo("qwen3-tiny", tmp.Path);
        string config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"Qwen3ForCausalLM\"", "\"MambaForCausalLM\""));
        string line = await FailsWithOneLine("inspect", dir);
        Assert.Contains("architecture 'MambaForCausalLM' is not supported", line);
    }

    [Fact]
    public async Task Prompt_and_prompt_ids_are_exclusive()
    {
        string line = await FailsWithOneLine("generate", "--model", ModelFixtures.Dir("qwen2-tiny"));
        Assert.Contains("exactly one of --prompt and --prompt-ids", line);
    }

    [Fact]
    public async Task Malformed_prompt_ids()
    {
        string line = await FailsWithOneLine("generate", "--model", ModelFixtures.Dir("qwen2-tiny"), "--prompt-ids", "1,x");
        Assert.Contains("'x' is not a token id", line);
    }

    [Theory]
    [InlineData("--top-p", "0", "top-p must be in (0, 1], got 0")]
    [InlineData("--max-tokens", "0", "max tokens must be positive, got 0")]
    [InlineData("--temperature", "-1", "temperature must be ≥ 0, got -1")]
    public async Task Out_of_range_sampling_flags(string flag, string value, string message)
    {
        string line = await FailsWithOneLine("generate", "--model", ModelFixtures.Dir("qwen2-tiny"), "--prompt", "hi", flag, value);
        Assert.Equal("ragtune: error: " + message, line);
    }

    [Fact]
    public async Task Encoder_given_to_generate()
    {
        string line = await FailsWithOneLine("generate", "--model", ModelFixtures.Dir("bert-tiny-cls"), "--prompt", "hi");
        Assert.Contains("BertModel is an encoder", line);
    }
}
