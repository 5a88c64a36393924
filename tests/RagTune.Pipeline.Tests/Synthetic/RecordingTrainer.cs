// A test double for IStudentTrainer: records each job and hands back the base checkpoint untouched, so tests check the
// plumbing around training (stages, data files, caching), never what training learns.
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

internal sealed class RecordingTrainer : IStudentTrainer
{
    public List<StudentTrainingJob> Jobs { get; } = [];

    public Task<string> TrainAsync(StudentTrainingJob job, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        Jobs.Add(job);
        return Task.FromResult(job.BaseModel);
    }
}
