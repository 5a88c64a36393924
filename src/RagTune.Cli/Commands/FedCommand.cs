// `ragtune fed join|serve`: federated fine-tuning of LoRA adapters over Flower's gRPC protocol — a site that trains on its
// own data and sends only adapter tensors, counts and metrics (`fed join`); an aggregator that averages them (`fed serve`).
using System.CommandLine;

namespace RagTune.Cli.Commands;

internal static class FedCommand
{
    public static Command Create() => new("fed", "Federated fine-tuning over Flower's protocol: sites keep their data, only LoRA adapters travel")
    {
        FedJoinCommand.Create(),
        FedServeCommand.Create(),
    };
}
