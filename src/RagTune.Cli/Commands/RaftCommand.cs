// `ragtune raft`: RAFT training data from documents — estimate, generate, export.
using System.CommandLine;

namespace RagTune.Cli.Commands;

public static class RaftCommand
{
    public static Command Create()
    {
        var command = new Command("raft", "RAFT training data: a teacher LLM writes questions and verified chain-of-thought answers over oracle + distractor documents");
        command.Subcommands.Add(RaftEstimateCommand.Create());
        command.Subcommands.Add(RaftGenerateCommand.Create());
        command.Subcommands.Add(RaftExportCommand.Create());
        return command;
    }
}
