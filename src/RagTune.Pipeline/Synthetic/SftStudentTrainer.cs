// The benchmark's trainer: the engine's SFT trainer in full fine-tuning mode, one run per curriculum stage, each stage
// starting from the checkpoint the previous one wrote; stages resume from their own checkpoints after an interruption.
using RagTune.Engine.Training;

namespace RagTune.Pipeline.Synthetic;

public sealed class SftStudentTrainer : IStudentTrainer
{
    /// <summary>The learning-rate shape of stage <paramref name="stage"/> of <paramref name="stages"/>: together the stages
    /// form one warm-up → constant → cosine-decay schedule (warm-up, stable, decay). Each stage is a fresh SftTrainer, so
    /// its AdamW moments start at zero; a short warm-up keeps the first bias-corrected, sign-like updates small. Decaying
    /// only in the last stage matters: a cosine to zero inside every stage spends each stage's end at a near-zero rate.</summary>
    public static (int WarmupSteps, LearningRateDecay Decay) Schedule(int stage, int stages, int steps) =>
        (stage == 0 ? Math.Min(100, steps / 10) : Math.Min(25, steps / 10),
         stage == stages - 1 ? LearningRateDecay.Cosine : LearningRateDecay.Constant);

    public async Task<string> TrainAsync(StudentTrainingJob job, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        string model = job.BaseModel;
        for (int s = 0; s < job.Stages.Count; s++)
        {
            var stage = job.Stages[s];
            var (warmup, decay) = Schedule(s, job.Stages.Count, stage.Steps);
            var trainer = new SftTrainer(new SftTrainingOptions
            {
                ModelPath = model,
                DataPath = stage.DataPath,
                OutputDirectory = Path.Combine(job.OutputDirectory, $"stage{s}"),
                FullFineTune = true,
                MaxSteps = stage.Steps,
                BatchSize = job.BatchSize,
                MaxLength = job.MaxLength,
                LearningRate = job.LearningRate,
                WarmupSteps = warmup,
                Decay = decay,
                Seed = job.Seed + (ulong)s,
                CheckpointEvery = Math.Max(50, stage.Steps / 5),
                Resume = true,
            });
            int stageIndex = s;
            var report = new Progress<TrainingProgress>(p =>
            {
                if (p.Step % 100 == 0 || p.Step == p.TotalSteps)
                    progress?.Report($"  stage {stageIndex + 1}/{job.Stages.Count} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} ({p.TokensPerSecond:F0} tok/s, eta {p.Eta:mm\\:ss})");
            });
            var result = await trainer.RunAsync(report, cancellationToken).ConfigureAwait(false);
            model = result.OutputPath;
        }
        return model;
    }
}
