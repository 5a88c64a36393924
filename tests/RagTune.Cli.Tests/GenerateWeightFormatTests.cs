// `ragtune generate --dtype / --quantize`: bf16 weights keep the golden greedy continuation, Q8 runs, and giving both
// options is one clear error.
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class GenerateWeightFormatTests
{
    private static Task<CliResult> Generate(params string[] extra)
    {
        var golden = ModelFixtures.Golden("qwen2-tiny");
        return CliHarness.RunAsync(["generate", "--model", ModelFixtures.Dir("qwen2-tiny"),
            "--prompt-ids", string.Join(",", golden.GetProperty("prompt_ids").Ints()), "--max-tokens", "8", "--print-ids", .. extra]);
    }

    [Fact]
    public async Task Bf16_weights_give_the_golden_greedy_ids()
    {
        int[] greedy = ModelFixtures.Golden("qwen2-tiny").GetProperty("greedy_ids").Ints();
        var r = await Generate("--dtype", "bf16");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith(string.Join(",", greedy.Take(4)), r.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task Q8_weights_generate_the_requested_tokens()
    {
        var r = await Generate("--quantize", "q8");
        Assert.Equal(0, r.ExitCode);
        var ids = r.Stdout.TrimEnd('\n').Split('\n')[^1].Split(',').Select(int.Parse).ToArray();
        Assert.InRange(ids.Length, 1, 8);  // up to 8, fewer if an end-of-sequence id comes first
    }

    [Fact]
    public async Task Dtype_and_quantize_together_are_rejected()
    {
        var r = await Generate("--dtype", "f32", "--quantize", "q8");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--quantize q8 and --dtype f32", r.Stderr);
    }
}
