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
        yield return Commands.KbCommand.Create();
        yield return Commands.ServeCommand.Create();
        yield return Commands.RaftCommand.Create();
        yield return Commands.DistillCommand.Create();
        yield return Commands.EvalCommand.Create();
        yield return Commands.DemoCommand.Create(new RagTune.Pipeline.Synthetic.SftStudentTrainer());
        yield return Commands.TrainCommand.Create();
        yield return Commands.AdapterCommand.Create();
        yield return Commands.ExportCommand.Create();
        yield return Commands.RunCommand.Create();
        yield return Commands.FedCommand.Create();
    }
}
