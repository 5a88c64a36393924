// Construction and search parameters of the HNSW index (Malkov & Yashunin 2016; defaults as hnswlib's common settings).
namespace RagTune.Knowledge.Dense;

public sealed record HnswOptions
{
    /// <summary>Links per node on the upper layers; layer 0 keeps up to 2·M. Typical 8–48.</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate list size while inserting; higher builds a better graph, slower.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>Candidate list size while searching (at least k is used); the recall/speed knob.</summary>
    public int EfSearch { get; init; } = 100;

    /// <summary>Seeds the level draws: the same seed and insertion order give the same graph.</summary>
    public ulong Seed { get; init; } = 42;

    internal void Validate()
    {
        if (M < 2 || M > 1024) throw new ArgumentOutOfRangeException(nameof(M), M, "expected 2..1024");
        if (EfConstruction < 1) throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "expected ≥ 1");
        if (EfSearch < 1) throw new ArgumentOutOfRangeException(nameof(EfSearch), EfSearch, "expected ≥ 1");
    }
}
