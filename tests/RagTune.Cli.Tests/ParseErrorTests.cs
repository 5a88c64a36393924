// Command-line mistakes across the CLI: a value of the wrong type names the option as typed, the value and the kind of value
// expected (never a .NET type name), on one line with a non-zero exit code; nothing runs.
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class ParseErrorTests
{
    [Theory]
    [InlineData("-k abc", "kb search KB question -k abc", "-k expects an integer; got 'abc'")]
    [InlineData("--top", "kb search KB question --top 1.5", "--top expects an integer; got '1.5'")]
    [InlineData("--max-tokens", "generate --model M --prompt hi --max-tokens lots", "--max-tokens expects an integer; got 'lots'")]
    [InlineData("--temperature", "generate --model M --prompt hi --temperature hot", "--temperature expects a number; got 'hot'")]
    [InlineData("--seed (ulong)", "generate --model M --prompt hi --seed -3", "--seed expects a non-negative integer; got '-3'")]
    [InlineData("--port", "serve --port http", "--port expects an integer; got 'http'")]
    [InlineData("--lora-rank", "train sft --model M --data D --output O --lora-rank eight", "--lora-rank expects an integer; got 'eight'")]
    [InlineData("--val-fraction", "train sft --model M --data D --output O --val-fraction tenth", "--val-fraction expects a number; got 'tenth'")]
    [InlineData("--scheduler (enum)", "train sft --model M --data D --output O --scheduler wavy", "--scheduler expects one of constant, linear, cosine; got 'wavy'")]
    public async Task A_value_of_the_wrong_type_names_the_option_and_the_expected_type(string _, string commandLine, string message)
    {
        string[] args = commandLine.Split(' ');
        var r = await CliHarness.RunAsync(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("ragtune: error: " + message, Assert.Single(r.ErrorLines));
        Assert.DoesNotContain("System.", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task Other_parse_errors_are_one_line_each()
    {
        var r = await CliHarness.RunAsync("kb", "search", "KB", "question", "--no-such-flag");
        Assert.Equal(1, r.ExitCode);
        Assert.All(r.ErrorLines, l => Assert.StartsWith("ragtune: error: ", l));
        Assert.Contains(r.ErrorLines, l => l.Contains("--no-such-flag"));
    }

    [Fact]
    public async Task A_missing_argument_is_named_with_its_description()
    {
        var r = await CliHarness.RunAsync("pull");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("ragtune: error: missing <repo-id>: Repository on the Hub, e.g. Qwen/Qwen2.5-0.5B-Instruct", Assert.Single(r.ErrorLines));
    }

    [Fact]
    public async Task Help_still_prints_help()
    {
        var r = await CliHarness.RunAsync("kb", "search", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--top", r.Stdout);
    }
}
