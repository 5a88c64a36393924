// Size, language, seed and split of a synthetic world of fictional entities (the RAFT benchmark's corpus).
namespace RagTune.Pipeline.Synthetic;

public sealed record SyntheticWorldOptions
{
    /// <summary>Fictional entities in the world; each becomes a set of facts nobody outside the corpus can know.</summary>
    public int Entities { get; init; } = 400;

    /// <summary>Attributes per entity, 1 to <see cref="SyntheticTemplates.AttributeCount"/>; one question per attribute.</summary>
    public int AttributesPerEntity { get; init; } = 3;

    /// <summary>Entities described by one document (their attribute sentences are interleaved at random).</summary>
    public int EntitiesPerDocument { get; init; } = 1;

    /// <summary>Distinct values each attribute draws from (chance level of a guess is 1 / this).</summary>
    public int ValuesPerAttribute { get; init; } = 24;

    /// <summary>"en" or "zh".</summary>
    public string Language { get; init; } = "en";

    /// <summary>Fraction of the documents whose entities are held out: test questions are only about them.</summary>
    public double TestFraction { get; init; } = 0.2;

    public ulong Seed { get; init; } = 7;
}
