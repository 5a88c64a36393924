// Settings of `ragtune demo`: where it writes, and whether it runs the small CI-sized world (fast) or the full one.
namespace RagTune.Pipeline.Synthetic;

public sealed record SyntheticDemoOptions
{
    public required string OutputDirectory { get; init; }

    /// <summary>A world, student and budget small enough for CI (well under a minute on 2 cores).</summary>
    public bool Fast { get; init; }

    /// <summary>Documents the retriever puts in front of the student.</summary>
    public int TopK { get; init; } = 3;

    public ulong Seed { get; init; } = 7;
}
