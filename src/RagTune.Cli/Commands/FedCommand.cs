// `ragtune fed join|serve`: federated fine-tuning of LoRA adapters over Flower's gRPC protocol — a site that trains on its
// own data and sends only adapter tensors, counts and metrics; an aggregator that averages them.
using System.CommandLine;

namespace RagTune.Cli.Commands;

public static class FedCommand
{
    public static Command Create()
    {
        var command = new Command("fed", "Federated fine-tuning over Flower's protocol: sites keep their data, only LoRA adapters travel");
        command.Subcommands.Add(FedJoinCommand.Create());
        command.Subcommands.Add(FedServeCommand.Create());
        return command;
    }
}
