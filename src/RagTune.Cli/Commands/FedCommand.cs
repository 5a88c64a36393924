// `ragtune fed`: federated fine-tuning of LoRA adapters over Flower's gRPC protocol — `fed serve` runs the aggregator.
using System.CommandLine;

namespace RagTune.Cli.Commands;

internal static class FedCommand
{
    public static Command Create() => new("fed", "Federated fine-tuning of LoRA adapters over Flower's gRPC protocol (only adapter tensors, counts and metrics travel)")
    {
        FedServeCommand.Create(),
    };
}
