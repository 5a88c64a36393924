// Checks the benchmark's orchestration with a recording trainer (it returns the base checkpoint unchanged, so what is
// tested is the plumbing: curriculum stages and their data, caching of trained students, every table row, the reports).
using RagTune.Engine.Training;
using RagTune.Eval;
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class SyntheticBenchmarkTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-bench-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private SyntheticBenchmarkOptions Options => new()
    {
        OutputDirectory = _dir,
        World = new SyntheticWorldOptions { Entities = 30 },
        Student = new StudentModelOptions { HiddenSize = 32, Layers = 1, IntermediateSize = 64 },
        Raft = new SyntheticRaftOptions { Distractors = 2 },
        Curriculum = [0, 1, 2, 4],
        CurriculumWeights = null,
        StepsPerRegime = 10,
        EvalItems = 2,
    };

    [Fact]
    public async Task Reading_practice_in_the_cot_format_quotes_the_sentence_and_has_its_own_base()
    {
        var trainer = new PathTrainer();
        var ct = TestContext.Current.CancellationToken;
        var options = Options with { PretrainSteps = 5, PretrainRegime = RaftRegime.RaftCot };
        var world = SyntheticWorld.Generate(options.World);

        string base1 = await SyntheticBenchmark.BaseStudentAsync(world, options, trainer, null, ct);

        var practice = Assert.Single(trainer.Jobs);
        var lines = await File.ReadAllLinesAsync(Assert.Single(practice.Stages).DataPath, ct);
        Assert.All(lines, l => Assert.Contains("##begin_quote##", l, StringComparison.Ordinal));
        Assert.Contains("base-reader-raftcot", base1, StringComparison.Ordinal);
        // The bare-answer practice (the default) is another base, so one output folder can hold both.
        string base2 = await SyntheticBenchmark.BaseStudentAsync(world, options with { PretrainRegime = RaftRegime.Raft }, trainer, null, ct);
        Assert.Equal(2, trainer.Jobs.Count);
        Assert.DoesNotContain("##begin_quote##", await File.ReadAllTextAsync(trainer.Jobs[1].Stages[0].DataPath, ct), StringComparison.Ordinal);
        Assert.NotEqual(base1, base2);
    }

    [Fact]
    public async Task With_reading_practice_every_regime_starts_from_a_base_that_practised_on_another_world()
    {
        var trainer = new PathTrainer();
        var ct = TestContext.Current.CancellationToken;
        var options = Options with { PretrainSteps = 7 };
        var result = await SyntheticBenchmark.RunAsync(options, trainer, null, ct);

        // Practice first: one stage of 7 steps on k = 0 data (one document, the right one) ...
        var practice = trainer.Jobs[0];
        var stage = Assert.Single(practice.Stages);
        Assert.Equal(7, stage.Steps);
        Assert.EndsWith(Path.Combine("base"), practice.BaseModel, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(stage.DataPath, ct);
        var practiceWorld = SyntheticBenchmark.PracticeWorld(options.World);
        Assert.Equal(practiceWorld.Facts.Count, lines.Length);
        Assert.All(lines, l => Assert.Equal(1, CountOf(l, "<DOCUMENT>")));
        // ... about entities the benchmark world does not have.
        var benchmarkEntities = SyntheticWorld.Generate(options.World).Facts.Select(f => f.Entity).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(practiceWorld.Facts, f => benchmarkEntities.Contains(f.Entity));
        // Every regime starts from the practised checkpoint, and the table says so.
        Assert.Equal(4, trainer.Jobs.Count);
        Assert.All(trainer.Jobs.Skip(1), j => Assert.Equal(PathTrainer.Trained(practice), j.BaseModel));
        Assert.Contains("from the reader base", result.Table, StringComparison.Ordinal);
        Assert.Contains("reading practice on another world", SyntheticBenchmark.Describe(options), StringComparison.Ordinal);
        // The vocabulary covers both worlds, so practice text is never spelled byte by byte.
        var tok = RagTune.Engine.Tokenizers.Tokenizer.Load(Path.Combine(_dir, "base"));
        var value = practiceWorld.Facts[0].Value;
        Assert.Single(tok.Encode(" " + value, addSpecialTokens: false));

        // A second run reuses the practised base.
        var again = new PathTrainer();
        await SyntheticBenchmark.RunAsync(options, again, null, ct);
        Assert.Empty(again.Jobs);
    }

    private static int CountOf(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Records each job and "trains" by copying the base checkpoint into the job's output folder, so which
    /// checkpoint a later job starts from is visible.</summary>
    private sealed class PathTrainer : IStudentTrainer
    {
        public List<StudentTrainingJob> Jobs { get; } = [];

        public static string Trained(StudentTrainingJob job) => Path.Combine(job.OutputDirectory, "final");

        public Task<string> TrainAsync(StudentTrainingJob job, IProgress<string>? progress, CancellationToken cancellationToken)
        {
            Jobs.Add(job);
            string output = Trained(job);
            Directory.CreateDirectory(output);
            foreach (var f in Directory.GetFiles(job.BaseModel))
                File.Copy(f, Path.Combine(output, Path.GetFileName(f)), overwrite: true);
            return Task.FromResult(output);
        }
    }

    [Fact]
    public async Task Every_regime_is_trained_through_its_curriculum_and_every_row_is_reported()
    {
        var trainer = new RecordingTrainer();
        var ct = TestContext.Current.CancellationToken;
        var result = await SyntheticBenchmark.RunAsync(Options, trainer, null, ct);

        Assert.Equal(3, trainer.Jobs.Count);
        var dsf = trainer.Jobs[0];
        Assert.Equal(10, Assert.Single(dsf.Stages).Steps);
        var raft = trainer.Jobs[1];
        // Curriculum entries above k are dropped; 10 steps over 3 stages: 3, 3, 4.
        Assert.Equal([3, 3, 4], raft.Stages.Select(s => s.Steps));
        Assert.EndsWith("raft_stage2_k2.jsonl", raft.Stages[2].DataPath, StringComparison.Ordinal);
        Assert.All(trainer.Jobs.SelectMany(j => j.Stages), s => Assert.True(new FileInfo(s.DataPath).Length > 0));

        Assert.Equal(7, result.Run.Systems.Count);
        Assert.Equal(14, result.Run.Results.Count);
        Assert.Contains("| DSF (no documents at test time) |", result.Table, StringComparison.Ordinal);
        Assert.Contains("| RAFT + CoT |", result.Table, StringComparison.Ordinal);
        Assert.Contains("<svg", await File.ReadAllTextAsync(result.ReportPath, ct), StringComparison.Ordinal);
        Assert.True(File.Exists(result.JsonPath));

        // A second run reuses the trained students and the stored answers.
        var again = new RecordingTrainer();
        var second = await SyntheticBenchmark.RunAsync(Options, again, null, ct);
        Assert.Empty(again.Jobs);
        Assert.Equal(result.Table, second.Table);
    }

    [Fact]
    public void Curriculum_weights_split_the_steps_and_the_last_stage_takes_the_remainder()
    {
        Assert.Equal([250, 250, 1500], SyntheticBenchmark.StageSteps(2000, 3, [1, 1, 6]));
        Assert.Equal([333, 333, 334], SyntheticBenchmark.StageSteps(1000, 3, null));
        Assert.Equal([7], SyntheticBenchmark.StageSteps(7, 1, null));
        var e = Assert.Throws<EvalException>(() => SyntheticBenchmark.StageSteps(100, 3, [1, 2]));
        Assert.Contains("one positive weight per stage", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_stages_form_one_warmup_constant_decay_schedule()
    {
        Assert.Equal((100, LearningRateDecay.Constant), SftStudentTrainer.Schedule(0, 3, 2000));
        Assert.Equal((25, LearningRateDecay.Constant), SftStudentTrainer.Schedule(1, 3, 250));
        Assert.Equal((25, LearningRateDecay.Cosine), SftStudentTrainer.Schedule(2, 3, 1500));
        // A single stage warms up and decays; a short one warms up for a tenth of its steps.
        Assert.Equal((6, LearningRateDecay.Cosine), SftStudentTrainer.Schedule(0, 1, 60));
    }

    [Fact]
    public async Task A_learning_rate_sweep_trains_every_rate_and_chooses_on_held_out_training_entities()
    {
        var trainer = new RecordingTrainer();
        var ct = TestContext.Current.CancellationToken;
        var options = Options with { LearningRates = [1e-3f, 3e-3f], ValidationFraction = 0.25, ValidationItems = 3, Regimes = [RaftRegime.Dsf, RaftRegime.Raft] };
        var result = await SyntheticBenchmark.RunAsync(options, trainer, null, ct);

        Assert.Equal([1e-3f, 3e-3f, 1e-3f, 3e-3f], trainer.Jobs.Select(j => j.LearningRate));
        Assert.Equal(4, trainer.Jobs.Select(j => j.OutputDirectory).Distinct().Count());
        // No validation entity is in any training example; test entities neither.
        var world = SyntheticWorld.Generate(options.World).WithValidationSplit(0.25);
        var heldOut = world.Documents.Where(d => d.Split != "train").SelectMany(d => d.Entities).ToList();
        Assert.NotEmpty(world.DocumentsIn("validation"));
        foreach (var stage in trainer.Jobs.SelectMany(j => j.Stages))
        {
            var questions = File.ReadLines(stage.DataPath).ToList();
            Assert.DoesNotContain(questions, line => heldOut.Any(entity => line.Contains($"the {entity} device?", StringComparison.Ordinal)));
        }
        Assert.Equal(2, result.LearningRates.Count);
        Assert.All(result.LearningRates, c =>
        {
            Assert.Equal(2, c.Tried.Count);
            Assert.All(c.Tried, t => Assert.InRange(t.ValidationEm, 0, 1));
            // Identical students (the recording trainer changes nothing) tie, and ties go to the first rate.
            Assert.Equal(1e-3f, c.Rate);
        });
        Assert.Contains("Learning rate kept per regime", result.Table, StringComparison.Ordinal);
        Assert.Contains("swept", SyntheticBenchmark.Describe(options), StringComparison.Ordinal);
    }

    [Fact]
    public void A_validation_split_takes_training_documents_only()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 50 });
        var split = world.WithValidationSplit(0.1);
        Assert.Equal(world.DocumentsIn("test").Select(d => d.Id), split.DocumentsIn("test").Select(d => d.Id));
        Assert.Equal(4, split.DocumentsIn("validation").Count());
        Assert.Equal(world.DocumentsIn("train").Count() - 4, split.DocumentsIn("train").Count());
        Assert.Throws<EvalException>(() => world.WithValidationSplit(1.0));
    }
}
