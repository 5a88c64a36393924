// `ragtune export gguf` as a user runs it: the file and the Modelfile are written and named on stdout/stderr; bad input is
// one error line and a non-zero exit code.
using RagTune.Engine.Formats;
using Xunit;

namespace RagTune.Cli.Tests;

public sealed class ExportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-export-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Export_gguf_writes_the_file_and_a_modelfile()
    {
        string output = Path.Combine(_dir, "tiny.gguf");
        var r = await CliHarness.RunAsync("export", "gguf", "--model", ModelFixtures.Dir("llama-tiny"), "--type", "q8_0", "--out", output);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(output, r.Stdout.Trim());
        Assert.Contains("Q8_0 ×", r.Stderr);
        Assert.Contains("ollama create NAME -f tiny.Modelfile", r.Stderr);
        var gguf = GgufFile.Read(output);
        Assert.Equal("llama", gguf.GetString("general.architecture"));
        Assert.Equal(7L, gguf.GetIntegerOrNull("general.file_type"));
        Assert.StartsWith("# Made by `ragtune export gguf`", File.ReadAllText(Path.Combine(_dir, "tiny.Modelfile")));
    }

    [Fact]
    public async Task Bad_input_is_one_line_and_a_non_zero_exit()
    {
        var r = await CliHarness.RunAsync("export", "gguf", "--model", ModelFixtures.Dir("qwen3-tiny"), "--type", "q8_0", "--out", Path.Combine(_dir, "x.gguf"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Single(r.ErrorLines);
        Assert.Contains("token_embd.weight", r.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "x.gguf")));

        var type = await CliHarness.RunAsync("export", "gguf", "--model", ModelFixtures.Dir("qwen2-tiny"), "--type", "q3_k");
        Assert.NotEqual(0, type.ExitCode);
        Assert.Contains("q3_k", type.Stderr);
    }
}
