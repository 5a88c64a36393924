// The `ragtune` command: one subcommand per capability, each defined in its own file under Commands/.
using System.CommandLine;
using RagTune.Cli;
using Spectre.Console;

// Commands that write through Spectre's static console get the same terminal/file/NO_COLOR handling, on this process's
// stdout. (Set here, not in CliRunner, so in-process test hosts keep the console they redirected.)
AnsiConsole.Console = CliConsole.Out();

var root = new RootCommand("RagTune: turn domain documents into a domain expert (pure .NET).");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return await CliRunner.RunAsync(root, args);
