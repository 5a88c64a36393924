// The `ragtune` command: one subcommand per capability, each defined in its own file under Commands/.
using System.CommandLine;
using RagTune.Cli;

var root = new RootCommand("RagTune: turn domain documents into a domain expert (pure .NET).");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return await CliRunner.RunAsync(root, args);
