// Help text: every option and argument of every command says what it does, and a command shows only the flags that apply.
using System.CommandLine;
using Xunit;

namespace RagTune.Cli.Tests;

public sealed class HelpTests
{
    [Fact]
    public void EveryOptionAndArgumentOfEveryCommandHasADescription()
    {
        var missing = new List<string>();
        Walk(CliHarness.BuildRoot(), "ragtune", missing);
        Assert.True(missing.Count == 0, "without a description:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void TheWalkSeesEveryCommand()
    {
        // Guards the walk above: it must reach nested subcommands (kb add, train full, raft generate ...).
        var paths = new List<string>();
        Collect(CliHarness.BuildRoot(), "ragtune", paths);
        Assert.Contains("ragtune kb add", paths);
        Assert.Contains("ragtune train full", paths);
        Assert.Contains("ragtune raft generate", paths);
        Assert.Contains("ragtune adapter merge", paths);
    }

    [Fact]
    public async Task TrainFullShowsNoLoraFlagsAndTrainSftNoRandomInitialisation()
    {
        var full = await CliHarness.RunAsync("train", "full", "--help");
        Assert.Equal(0, full.ExitCode);
        Assert.Contains("--init-config", full.Stdout);
        Assert.DoesNotContain("--lora", full.Stdout);
        Assert.DoesNotContain("--rslora", full.Stdout);
        Assert.DoesNotContain("--quantize", full.Stdout);

        var sft = await CliHarness.RunAsync("train", "sft", "--help");
        Assert.Equal(0, sft.ExitCode);
        Assert.Contains("--lora-rank", sft.Stdout);
        Assert.DoesNotContain("--init-config", sft.Stdout);

        // A LoRA flag on `train full` is now a parse error, not silently ignored.
        var refused = await CliHarness.RunAsync("train", "full", "--model", "m", "--data", "d", "-o", "o", "--lora-rank", "4");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--lora-rank", refused.Stderr);
    }

    private static void Walk(Command command, string path, List<string> missing)
    {
        foreach (var option in command.Options)
            if (string.IsNullOrWhiteSpace(option.Description)) missing.Add($"{path} {option.Name}");
        foreach (var argument in command.Arguments)
            if (string.IsNullOrWhiteSpace(argument.Description)) missing.Add($"{path} <{argument.Name}>");
        if (string.IsNullOrWhiteSpace(command.Description)) missing.Add($"{path} (the command itself)");
        foreach (var sub in command.Subcommands) Walk(sub, $"{path} {sub.Name}", missing);
    }

    private static void Collect(Command command, string path, List<string> paths)
    {
        paths.Add(path);
        foreach (var sub in command.Subcommands) Collect(sub, $"{path} {sub.Name}", paths);
    }
}
