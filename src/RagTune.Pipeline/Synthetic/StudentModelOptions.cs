// The architecture of a synthetic-benchmark student: a Qwen2-layout decoder small enough to train on 2 CPU cores.
namespace RagTune.Pipeline.Synthetic;

public sealed record StudentModelOptions
{
    public int HiddenSize { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KeyValueHeads { get; init; } = 2;
    public int IntermediateSize { get; init; } = 256;
    public int MaxPositions { get; init; } = 512;
    public ulong Seed { get; init; } = 1;
}
