// Runs the `ragtune` raft/distill commands in-process (stdout captured) or as a child process of the built CLI.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RagTune.Cli;
using RagTune.Cli.Commands;
using RagTune.Raft.Sources;
using Spectre.Console;

namespace RagTune.Raft.Tests.Infrastructure;

public static class RagtuneCli
{
    private static readonly SemaphoreSlim ConsoleGate = new(1, 1);

    /// <summary>Runs the command in-process; AnsiConsole is redirected, so calls are serialised.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        await ConsoleGate.WaitAsync();
        var previous = AnsiConsole.Console;
        try
        {
            var output = new StringWriter();
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
            });
            var root = new RootCommand();
            root.Subcommands.Add(RaftCommand.Create());
            root.Subcommands.Add(DistillCommand.Create());
            var error = new StringWriter();
            var code = await CliRunner.RunAsync(root, args, error);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            ConsoleGate.Release();
        }
    }

    /// <summary>Starts the built CLI (ragtune.dll, copied next to the tests) as a child process; its output goes to <paramref name="log"/>.</summary>
    public static Process Start(System.Text.StringBuilder log, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // ragtune.dll runs with the test project's runtimeconfig/deps (they list ASP.NET Core, which supplies shared
        // Microsoft.Extensions.* assemblies that are therefore not copied next to the tests).
        var baseDir = AppContext.BaseDirectory;
        foreach (var a in new[] { "exec", "--runtimeconfig", Path.Combine(baseDir, "RagTune.Raft.Tests.runtimeconfig.json"),
                     "--depsfile", Path.Combine(baseDir, "RagTune.Raft.Tests.deps.json"), Path.Combine(baseDir, "ragtune.dll") })
            psi.ArgumentList.Add(a);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public static void WriteChunks(string path, IEnumerable<RaftChunk> chunks) =>
        File.WriteAllLines(path, chunks.Select(c => JsonSerializer.Serialize(new { id = c.Id, document_id = c.DocumentId, text = c.Text, title = c.Title })));
}
