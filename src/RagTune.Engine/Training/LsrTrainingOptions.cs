// Settings of an LM-supervised retriever training run (REPLUG LSR / RA-DIT): the frozen generator, the retriever whose
// query side learns, the temperatures of both distributions, the optimizer, and checkpointing / resume.
namespace RagTune.Engine.Training;

public sealed record LsrTrainingOptions
{
    public required string GeneratorPath { get; init; }
    public required string RetrieverPath { get; init; }

    /// <summary>JSONL: {"query", "answer", "chunks": [retrieved top-k, at least 2]}.</summary>
    public required string DataPath { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>(chunk, query) → the user turn after which the generator scores the answer: the prompt the generator was
    /// trained on (the CLI passes the recorded RagPromptFormat's BuildInstruction). The engine knows no prompt format.</summary>
    public required Func<string, string, string> UserTurn { get; init; }

    /// <summary>System turn before <see cref="UserTurn"/>; null = none.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>τ of the target softmax(log p(answer | chunk, query) / τ).</summary>
    public float TargetTemperature { get; init; } = 0.1f;

    /// <summary>τ_r of the retriever's softmax(q·d / τ_r).</summary>
    public float RetrieverTemperature { get; init; } = 0.1f;

    /// <summary>LoRA on the query encoder's query/key/value/dense when set (saved as a PEFT adapter); every weight when null.</summary>
    public LoraOptions? Lora { get; init; }

    public int Epochs { get; init; } = 1;

    /// <summary>Stop after this many optimizer steps (one query per step); 0 = Epochs × examples.</summary>
    public int MaxSteps { get; init; }

    public float LearningRate { get; init; } = 1e-5f;
    public int WarmupSteps { get; init; }
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Constant;
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>Fixes the data order of every epoch (and the LoRA initialisation).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Checkpoint every N steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Continue from the newest checkpoint in the output folder; refused when the settings differ.</summary>
    public bool Resume { get; init; }
}
