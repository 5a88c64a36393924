// Settings of a contrastive fine-tuning run of an embedding model (FlagEmbedding's defaults where they exist).
namespace RagTune.Engine.Training;

public sealed record EmbeddingTrainingOptions
{
    public required string ModelPath { get; init; }

    /// <summary>FlagEmbedding JSONL: {"query", "pos": [..], "neg": [..], "prompt"?}.</summary>
    public required string DataPath { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>LoRA on the target projections when set (EmbeddingModels.DefaultLoraTargets: query/key/value/dense for an
    /// encoder, every projection of a decoder embedder); full fine-tuning (encoders only) when null.</summary>
    public LoraOptions? Lora { get; init; }

    /// <summary>Passages per query: 1 positive + GroupSize − 1 hard negatives (train_group_size).</summary>
    public int GroupSize { get; init; } = 4;

    public float Temperature { get; init; } = 0.02f;
    public int BatchSize { get; init; } = 8;
    public int Epochs { get; init; } = 1;
    public int MaxSteps { get; init; }
    public float LearningRate { get; init; } = 1e-5f;
    public int WarmupSteps { get; init; }
    public float WeightDecay { get; init; } = 0.01f;
    /// <summary>The most tokens per text (longer texts are cut keeping their final special token); null: the model's
    /// positions, or the tokenizer's model_max_length when smaller.</summary>
    public int? MaxLength { get; init; }
    public ulong Seed { get; init; } = 42;

    /// <summary>Checkpoint every N steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Continue from the newest checkpoint in the output folder.</summary>
    public bool Resume { get; init; }
}
