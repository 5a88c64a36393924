// What the synthetic benchmark needs from a trainer: full fine-tuning of a student checkpoint through curriculum stages.
namespace RagTune.Pipeline.Synthetic;

/// <summary>One curriculum stage: chat JSONL to train on and the optimizer steps to spend on it.</summary>
public sealed record TrainingStage(string DataPath, int Steps);

/// <summary>Train every weight of <see cref="BaseModel"/> through <see cref="Stages"/> in order, each stage starting from
/// the previous one's weights, and leave a Hugging Face checkpoint in <see cref="OutputDirectory"/>.</summary>
public sealed record StudentTrainingJob(string BaseModel, IReadOnlyList<TrainingStage> Stages, string OutputDirectory,
    float LearningRate, int BatchSize, int MaxLength, ulong Seed);

public interface IStudentTrainer
{
    /// <summary>Runs the job; returns the folder of the trained checkpoint.</summary>
    Task<string> TrainAsync(StudentTrainingJob job, IProgress<string>? progress, CancellationToken cancellationToken);
}
