// The benchmark's trainer: the engine's SFT trainer in full fine-tuning mode, one run per curriculum stage, each stage
// starting from the checkpoint the previous one wrote; stages resume from their own checkpoints after an interruption.
using RagTune.Engine.Training;

namespace RagTune.Eval.Synthetic;

public sealed class SftStudentTrainer : IStudentTrainer
{
    public async Task<string> TrainAsync(StudentTrainingJob job, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        string model = job.BaseModel;
        for (int s = 0; s < job.Stages.Count; s++)
        {
            var stage = job.Stages[s];
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
                WarmupSteps = Math.Min(100, stage.Steps / 10),
                Seed = job.Seed + (ulong)s,
                CheckpointEvery = Math.Max(50, stage.Steps / 5),
                Resume = true,
            });
            var report = new Progress<TrainingProgress>(p =>
            {
                if (p.Step % 25 == 0 || p.Step == p.TotalSteps)
                    progress?.Report($"  stage {s + 1}/{job.Stages.Count} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} ({p.TokensPerSecond:F0} tok/s, eta {p.Eta:mm\\:ss})");
            });
            var result = await trainer.RunAsync(report, cancellationToken).ConfigureAwait(false);
            model = result.OutputPath;
        }
        return model;
    }
}
