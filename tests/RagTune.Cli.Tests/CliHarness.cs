// Runs the `ragtune` command in-process, built the way Program.cs builds it, and captures exit code, stdout and stderr.
using System.CommandLine;
using System.Reflection;
using RagTune.Cli;

namespace RagTune.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stderr split into its non-empty lines.</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public static class CliHarness
{
    // Console.Out/Error and environment variables are process-wide: one run at a time.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, environment: null);

    /// <summary>
    /// Runs with the given arguments; <paramref name="environment"/> sets (or, with null values, clears) environment
    /// variables for the duration of the run only.
    /// </summary>
    public static async Task<CliResult> RunAsync(string[] args, IReadOnlyDictionary<string, string?>? environment,
        CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        var savedOut = Console.Out;
        var savedError = Console.Error;
        var savedEnvironment = new Dictionary<string, string?>();
        try
        {
            foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            {
                savedEnvironment[name] = Environment.GetEnvironmentVariable(name);
                Environment.SetEnvironmentVariable(name, value);
            }
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Console.SetOut(stdout);
            Console.SetError(stderr);
            int exitCode = await CliRunner.RunAsync(BuildRoot(), args, stderr);
            return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
            foreach (var (name, value) in savedEnvironment)
                Environment.SetEnvironmentVariable(name, value);
            Gate.Release();
        }
    }

    /// <summary>Program.cs's root command: every subcommand from the (internal) CommandCatalog.</summary>
    public static RootCommand BuildRoot()
    {
        var catalog = typeof(CliRunner).Assembly.GetType("RagTune.Cli.CommandCatalog", throwOnError: true)!;
        var all = catalog.GetMethod("All", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        var root = new RootCommand("RagTune: turn domain documents into a domain expert (pure .NET).");
        foreach (var command in (IEnumerable<Command>)all.Invoke(null, null)!)
            root.Subcommands.Add(command);
        return root;
    }
}
