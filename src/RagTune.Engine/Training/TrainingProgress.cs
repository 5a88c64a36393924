// Progress reports of a training run (one per optimizer step) and its result.
namespace RagTune.Engine.Training;

public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, float LearningRate, double TokensPerSecond,
    TimeSpan Elapsed, TimeSpan Eta, double? EvalLoss);

public sealed record TrainingResult(int Steps, IReadOnlyList<double> Losses, IReadOnlyList<(int Step, double Loss)> EvalLosses,
    int TrainSamples, int Dropped, int Truncated, string OutputPath);
