// Settings of a supervised fine-tuning run (LoRA or full), named after their transformers/PEFT/LLaMA-Factory counterparts.
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Training;

public sealed record SftTrainingOptions
{
    /// <summary>Hugging Face checkpoint folder of the base model (config.json, safetensors, tokenizer).</summary>
    public required string ModelPath { get; init; }

    /// <summary>Chat JSONL (RAFT export), alpaca or sharegpt file.</summary>
    public required string DataPath { get; init; }

    /// <summary>Run folder: adapter/ or model/, checkpoints/, loss.svg, train_log.jsonl.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Update every weight instead of training LoRA adapters.</summary>
    public bool FullFineTune { get; init; }

    public LoraOptions Lora { get; init; } = new();

    /// <summary>Prompt tuning (PEFT PROMPT_TUNING) instead of LoRA: only virtual-token embeddings are trained and saved.</summary>
    public PromptTuningOptions? PromptTuning { get; init; }

    /// <summary>How the frozen base weights are held for LoRA: as stored (F32/BF16 read in place from the mapped checkpoint),
    /// or converted to BF16 or Q8 at load. Full fine-tuning always trains float32 copies.</summary>
    public WeightFormat BaseWeights { get; init; } = WeightFormat.Checkpoint;

    /// <summary>Gradient checkpointing: keep only each layer's input and re-run its forward during the backward (activation
    /// memory of one layer instead of all; the same gradients for about a third more compute). Null: on for sequences
    /// longer than <see cref="DecoderTrainingGraph.AutoRecomputeTokens"/>.</summary>
    public bool? RecomputeActivations { get; init; }

    /// <summary>Sequence packing: training examples share rows of up to <see cref="MaxLength"/> tokens, each attending
    /// only to itself with positions from 0 (the loss and gradients of the examples apart, fewer and fuller rows).
    /// A batch is then <see cref="BatchSize"/> rows.</summary>
    public bool Pack { get; init; }

    /// <summary>Longest sequence in tokens; longer samples are dropped and counted.</summary>
    public int MaxLength { get; init; } = 1024;

    /// <summary>Shorten the documents part (up to the last &lt;/DOCUMENT&gt;) of over-long samples instead of dropping them.</summary>
    public bool TruncateDocuments { get; init; }

    public int BatchSize { get; init; } = 1;
    public int GradientAccumulationSteps { get; init; } = 1;
    public int Epochs { get; init; } = 1;

    /// <summary>Optimizer steps to run; 0 = as many as <see cref="Epochs"/> take.</summary>
    public int MaxSteps { get; init; }

    public float LearningRate { get; init; } = 2e-4f;
    public int WarmupSteps { get; init; }
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;
    public float WeightDecay { get; init; }
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>FedProx's μ: adds μ/2·‖w − w₀‖² to the objective, w₀ being the trainable tensors' values when the run starts
    /// (a federated round's global adapter), so μ·(w − w₀) joins every gradient before clipping. 0 = off; a run with it
    /// cannot resume (its anchor would be lost).</summary>
    public float ProximalMu { get; init; }

    /// <summary>Global gradient-norm clip; 0 disables.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    public ulong Seed { get; init; } = 42;

    /// <summary>Batch samples of similar length together (less padding-free work per batch, steadier step times).</summary>
    public bool GroupByLength { get; init; } = true;

    /// <summary>Fraction of samples held out for the eval loss.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Eval loss every N optimizer steps (0 = only at the end when there is a validation split).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Checkpoint every N optimizer steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Continue from the newest checkpoint in the output folder.</summary>
    public bool Resume { get; init; }
}
