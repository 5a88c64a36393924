// The in-process CLI harness itself: it captures output and restores the console and environment afterwards.
using Xunit;

namespace RagTune.Cli.Tests;

public sealed class CliHarnessTests
{
    [Fact]
    public async Task Console_and_environment_are_restored_after_a_run()
    {
        var stdout = Console.Out;
        var stderr = Console.Error;
        const string name = "RAGTUNE_HARNESS_PROBE";
        Environment.SetEnvironmentVariable(name, "before");
        try
        {
            var result = await CliHarness.RunAsync(["--help"], new Dictionary<string, string?> { [name] = "during" },
                TestContext.Current.CancellationToken);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("pull", result.Stdout);
            Assert.Same(stdout, Console.Out);
            Assert.Same(stderr, Console.Error);
            Assert.Equal("before", Environment.GetEnvironmentVariable(name));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task Unknown_command_is_a_usage_error_on_stderr()
    {
        var (exitCode, _, stderr) = await CliHarness.RunAsync("no-such-command");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("no-such-command", stderr);
    }
}
