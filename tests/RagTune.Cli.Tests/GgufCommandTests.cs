// `ragtune generate|inspect` on GGUF files (the engine's llama.cpp fixtures): a Q4_K_M LLaMA file continues a text prompt
// with llama.cpp's greedy ids, a Qwen3 file chats through the template in its metadata, inspect shows the tensor types,
// and a truncated file is one error line naming it, with a non-zero exit code.
using System.Text.Json;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class GgufCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-cli-gguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "gguf", name + ".gguf");

    private static JsonElement Expected(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "gguf", name + ".expected.json")));
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Generate_on_a_q4_k_m_file_gives_llama_cpp_s_greedy_ids_for_a_text_prompt()
    {
        var expected = Expected("llama-small-q4_k_m");
        var r = await CliHarness.RunAsync(["generate", "--model", PathOf("llama-small-q4_k_m"), "--prompt", expected.GetProperty("prompt").GetString()!,
            "--max-tokens", "8", "--print-ids"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(string.Join(",", expected.GetProperty("greedy_ids").Ints()), r.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task Generate_chat_uses_the_template_in_the_gguf_metadata()
    {
        var r = await CliHarness.RunAsync(["generate", "--model", PathOf("qwen3-small-q4_k_m"), "--chat", "--prompt", "Where is the battery?",
            "--no-think", "--max-tokens", "4", "--print-ids"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.InRange(r.Stdout.TrimEnd('\n').Split('\n')[^1].Split(',').Length, 1, 4);
    }

    [Fact]
    public async Task Inspect_shows_the_architecture_and_tensor_types()
    {
        var r = await CliHarness.RunAsync(["inspect", PathOf("llama-small-q4_k_m")]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("LlamaForCausalLM (model_type llama)", r.Stdout);
        Assert.Contains("Q4_K ×13, F32 ×6, Q6_K ×3", r.Stdout);
        Assert.Contains("all present", r.Stdout);
        Assert.Contains("SentencePieceBpe", r.Stdout);
    }

    [Fact]
    public async Task A_truncated_file_is_one_error_naming_it()
    {
        string path = Path.Combine(_dir, "cut.gguf");
        var bytes = File.ReadAllBytes(PathOf("qwen2-small-q4_0"));
        File.WriteAllBytes(path, bytes[..^4096]);
        var r = await CliHarness.RunAsync(["generate", "--model", path, "--prompt", "hi", "--max-tokens", "2"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Single(r.ErrorLines);
        Assert.Contains(path, r.Stderr);
        Assert.Contains("truncated", r.Stderr);
    }
}
