// `ragtune generate` in-process against the tiny fixtures: greedy output equals the PyTorch continuation.
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class GenerateCommandTests
{
    [Fact]
    public async Task Prompt_ids_with_print_ids_give_the_golden_greedy_ids()
    {
        var golden = ModelFixtures.Golden("llama-tiny");
        int[] greedy = golden.GetProperty("greedy_ids").Ints();
        var r = await CliHarness.RunAsync("generate", "--model", ModelFixtures.Dir("llama-tiny"),
            "--prompt-ids", string.Join(",", golden.GetProperty("prompt_ids").Ints()), "--max-tokens", greedy.Length.ToString(), "--print-ids");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.TrimEnd('\n').Split('\n');
        int stopAt = Array.FindIndex(greedy, id => id is 506 or 508);  // the fixture's end-of-sequence ids
        var expected = stopAt < 0 ? greedy : greedy[..(stopAt + 1)];
        Assert.Equal(string.Join(",", expected), lines[^1]);
        Assert.Matches(@"^prefill: \d+ tokens, [\d.]+ tok/s; decode: \d+ tokens, [\d.]+ tok/s; finish: (length|stop)$", r.ErrorLines.Single());
    }

    [Fact]
    public async Task Prompt_text_streams_the_golden_text()
    {
        var golden = ModelFixtures.Golden("qwen2-tiny");
        var r = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir("qwen2-tiny"), "--prompt", golden.GetProperty("prompt").GetString()!,
            "--max-tokens", "24");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(golden.GetProperty("greedy_text").GetString() + "\n", r.Stdout);
    }

    [Fact]
    public async Task Chat_applies_the_chat_format_before_generating()
    {
        var golden = ModelFixtures.Golden("qwen3-tiny");
        int[] chat = golden.GetProperty("chat_greedy_ids").Ints();
        var r = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir("qwen3-tiny"), "--chat", "--prompt", "What is RagTune?",
            "--max-tokens", "8", "--print-ids");
        Assert.Equal(0, r.ExitCode);
        int stopAt = Array.FindIndex(chat, id => id is 506 or 508);
        int n = stopAt < 0 ? 8 : Math.Min(8, stopAt + 1);
        Assert.Equal(string.Join(",", chat[..n]), r.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task Stop_string_cuts_the_text()
    {
        var golden = ModelFixtures.Golden("qwen2-tiny");
        string text = golden.GetProperty("greedy_text").GetString()!;
        string stop = text.Substring(10, 2);
        var r = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir("qwen2-tiny"), "--prompt", golden.GetProperty("prompt").GetString()!,
            "--max-tokens", "24", "--stop", stop);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)] + "\n", r.Stdout);
        Assert.EndsWith("finish: stop", r.ErrorLines.Single());
    }

    [Fact]
    public async Task Seeded_sampling_repeats()
    {
        string[] args = ["generate", "-m", ModelFixtures.Dir("qwen2-tiny"), "--prompt", "Hello", "--temperature", "0.9", "--top-k", "40",
            "--top-p", "0.9", "--repetition-penalty", "1.1", "--seed", "17", "--max-tokens", "12", "--print-ids"];
        var a = await CliHarness.RunAsync(args);
        var b = await CliHarness.RunAsync(args);
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Stdout, b.Stdout);
    }

    [Fact]
    public async Task Help_shows_the_sampling_defaults()
    {
        var r = await CliHarness.RunAsync("generate", "--help");
        Assert.Contains("--temperature", r.Stdout);
        Assert.Contains("[default: 256]", r.Stdout);
        Assert.Contains("[default: 0]", r.Stdout);
    }
}
