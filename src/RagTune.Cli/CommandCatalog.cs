// The list of top-level subcommands; each capability adds its own factory here.
using System.CommandLine;

namespace RagTune.Cli;

internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return Commands.PullCommand.Create();
        yield return Commands.GenerateCommand.Create();
        yield return Commands.EmbedCommand.Create();
        yield return Commands.InspectCommand.Create();
        yield return Commands.TrainCommand.Create();
        yield return Commands.AdapterCommand.Create();
    }
}
