// Runs the `ragtune` raft/distill commands in-process (stdout captured); the child-process runner is ChildCli (linked).
using System.CommandLine;
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

    public static void WriteChunks(string path, IEnumerable<RaftChunk> chunks) =>
        File.WriteAllLines(path, chunks.Select(c => JsonSerializer.Serialize(new { id = c.Id, document_id = c.DocumentId, text = c.Text, title = c.Title })));
}
