// Runs the synthetic RAFT benchmark: world → base student → per-regime RAFT data → trained students (cached per regime)
// → every (regime, test context) evaluated on unseen entities → JSON, HTML and the paper-shaped markdown table.
using System.Globalization;
using System.Text;
using RagTune.Engine.Generation;
using RagTune.Eval.Metrics;
using RagTune.Eval.Reports;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;

namespace RagTune.Eval.Synthetic;

/// <summary>Paths and the evaluation of a finished benchmark run.</summary>
public sealed record SyntheticBenchmarkResult(EvalRun Run, string ReportPath, string JsonPath, string Table, IReadOnlyDictionary<RaftRegime, string> Students);

public static class SyntheticBenchmark
{
    public const string DoneMarker = "student.done";

    /// <summary>The system names of the table: regime × what the student is shown at test time.</summary>
    public static string SystemName(RaftRegime regime, StudentContext context) => (regime, context) switch
    {
        (RaftRegime.Dsf, StudentContext.ClosedBook) => "DSF (closed-book)",
        (RaftRegime.Dsf, StudentContext.OracleAndDistractors) => "DSF + RAG · oracle+distractors",
        (RaftRegime.Dsf, StudentContext.DistractorsOnly) => "DSF + RAG · distractors only",
        (RaftRegime.Raft, StudentContext.OracleAndDistractors) => "RAFT · oracle+distractors",
        (RaftRegime.Raft, StudentContext.DistractorsOnly) => "RAFT · distractors only",
        (RaftRegime.RaftCot, StudentContext.OracleAndDistractors) => "RAFT + CoT · oracle+distractors",
        (RaftRegime.RaftCot, StudentContext.DistractorsOnly) => "RAFT + CoT · distractors only",
        _ => $"{regime} · {context}",
    };

    public static async Task<SyntheticBenchmarkResult> RunAsync(SyntheticBenchmarkOptions options, IStudentTrainer trainer,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainer);
        string root = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(root);
        var world = SyntheticWorld.Generate(options.World);
        string baseModel = Path.Combine(root, "base");
        if (!File.Exists(Path.Combine(baseModel, "model.safetensors")))
        {
            progress?.Report($"base student → {baseModel}");
            StudentModel.CreateBase(baseModel, SyntheticRaftData.Corpus(world), options.Student);
        }

        var students = new Dictionary<RaftRegime, string>();
        foreach (var regime in options.Regimes)
            students[regime] = await TrainRegimeAsync(world, regime, baseModel, root, options, trainer, progress, cancellationToken).ConfigureAwait(false);

        var items = SyntheticRaftData.EvalItems(world, options.Raft.Distractors, options.Raft.Seed, "test", options.EvalItems);
        var systems = new List<IEvalSystem>();
        foreach (var (regime, path) in students)
        {
            var generator = TextGenerator.Load(path);
            int maxTokens = regime == RaftRegime.RaftCot ? 48 : 8;
            if (regime == RaftRegime.Dsf)
                systems.Add(new StudentSystem(SystemName(regime, StudentContext.ClosedBook), generator, StudentContext.ClosedBook, maxTokens: maxTokens));
            foreach (var context in new[] { StudentContext.OracleAndDistractors, StudentContext.DistractorsOnly })
                systems.Add(new StudentSystem(SystemName(regime, context), generator, context, maxTokens: maxTokens));
        }
        var runner = new EvaluationRunner(new EvaluationRunnerOptions
        {
            MaxConcurrency = Math.Max(1, Math.Min(Environment.ProcessorCount, systems.Count)),
            ResultsPath = Path.Combine(root, "results.jsonl"),
            Seed = (int)(options.Raft.Seed & 0x7FFFFFFF),
            Title = "Synthetic RAFT benchmark (unseen entities)",
            Progress = progress is null ? null : new Progress<EvalProgress>(p => { if (p.Done % 50 == 0 || p.Done == p.Total) progress.Report($"eval {p.Done}/{p.Total}"); }),
        });
        var run = await runner.RunAsync(items, systems, cancellationToken).ConfigureAwait(false);
        string table = Table(run, options);
        string report = Path.Combine(root, "report.html");
        await HtmlReport.WriteAsync(run, report, new HtmlReportOptions { Note = Describe(options) + "\n\n" + table }, cancellationToken).ConfigureAwait(false);
        string json = Path.Combine(root, "results.json");
        await JsonReport.WriteAsync(run, json, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(root, "table.md"), table, cancellationToken).ConfigureAwait(false);
        return new SyntheticBenchmarkResult(run, report, json, table, students);
    }

    private static async Task<string> TrainRegimeAsync(SyntheticWorld world, RaftRegime regime, string baseModel, string root,
        SyntheticBenchmarkOptions options, IStudentTrainer trainer, IProgress<string>? progress, CancellationToken ct)
    {
        string name = regime.ToString().ToLowerInvariant();
        string output = Path.Combine(root, "students", name);
        string marker = Path.Combine(output, DoneMarker);
        if (File.Exists(marker))
        {
            progress?.Report($"{name}: reusing the trained student in {output}");
            return File.ReadAllText(marker).Trim();
        }
        // DSF has no documents, so no curriculum; RAFT climbs from few distractors to k.
        var ks = regime == RaftRegime.Dsf ? [0] : (options.Curriculum ?? [options.Raft.Distractors]).Where(k => k <= options.Raft.Distractors).DefaultIfEmpty(options.Raft.Distractors).ToList();
        var stages = new List<TrainingStage>();
        for (int s = 0; s < ks.Count; s++)
        {
            var data = SyntheticRaftData.Build(world, regime, options.Raft with { Distractors = ks[s], Seed = options.Raft.Seed + (ulong)s });
            string path = Path.Combine(root, "data", $"{name}_stage{s}_k{ks[s]}.jsonl");
            SyntheticRaftData.WriteChatJsonl(path, data);
            // Steps split evenly, the remainder to the last (hardest) stage.
            int steps = options.StepsPerRegime / ks.Count + (s == ks.Count - 1 ? options.StepsPerRegime % ks.Count : 0);
            stages.Add(new TrainingStage(path, steps));
        }
        progress?.Report($"{name}: training {options.StepsPerRegime} steps over {stages.Count} stage(s)");
        string trained = await trainer.TrainAsync(new StudentTrainingJob(baseModel, stages, output, options.LearningRate, options.BatchSize,
            options.MaxLength, options.Raft.Seed), progress, ct).ConfigureAwait(false);
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(marker, trained + "\n", ct).ConfigureAwait(false);
        return trained;
    }

    /// <summary>The paper's table shape: one row per regime, EM and F1 with oracle + distractors and with distractors only.</summary>
    public static string Table(EvalRun run, SyntheticBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        var byName = run.Summaries.ToDictionary(s => s.System, StringComparer.Ordinal);
        string Cell(RaftRegime regime, StudentContext context)
        {
            if (!byName.TryGetValue(SystemName(regime, context), out var s)) return "–";
            string f(string m) => s.Metrics.TryGetValue(m, out var v) ? (100 * v.Mean).ToString("F1", CultureInfo.InvariantCulture) : "–";
            return $"{f(MetricNames.ExactMatch)} / {f(MetricNames.F1)}";
        }
        var sb = new StringBuilder();
        sb.AppendLine("| Student (trained from random init) | EM / F1, oracle + distractors | EM / F1, distractors only |");
        sb.AppendLine("|---|---|---|");
        if (byName.ContainsKey(SystemName(RaftRegime.Dsf, StudentContext.ClosedBook)))
        {
            string closed = Cell(RaftRegime.Dsf, StudentContext.ClosedBook);
            sb.AppendLine($"| DSF (no documents at test time) | {closed} | {closed} |");
        }
        foreach (var (regime, label) in new[] { (RaftRegime.Dsf, "DSF + RAG"), (RaftRegime.Raft, "RAFT"), (RaftRegime.RaftCot, "RAFT + CoT") })
            if (byName.ContainsKey(SystemName(regime, StudentContext.OracleAndDistractors)))
                sb.AppendLine($"| {label} | {Cell(regime, StudentContext.OracleAndDistractors)} | {Cell(regime, StudentContext.DistractorsOnly)} |");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{run.Items.Count} test questions about unseen entities; chance level of a guessed value: "
            + $"{100.0 / options.World.ValuesPerAttribute:F1} % EM.");
        return sb.ToString();
    }

    /// <summary>One paragraph stating what was run (world, student, budget), for the report and RESULTS.md.</summary>
    public static string Describe(SyntheticBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var w = options.World;
        var s = options.Student;
        var c = CultureInfo.InvariantCulture;
        return string.Create(c, $"World: {w.Entities} fictional entities ({w.Language}), {w.AttributesPerEntity} attributes each, {w.EntitiesPerDocument} per document, ")
            + string.Create(c, $"{w.ValuesPerAttribute} values per attribute, {100 * w.TestFraction:F0} % of documents held out (test entities unseen in training), seed {w.Seed}. ")
            + string.Create(c, $"Student: Qwen2 layout, {s.Layers} layers, d={s.HiddenSize}, {s.Heads} heads, FFN {s.IntermediateSize}, word-level vocabulary, random init. ")
            + string.Create(c, $"Training: full fine-tuning, {options.StepsPerRegime} steps per regime at batch {options.BatchSize}, lr {options.LearningRate:G3}, ")
            + string.Create(c, $"RAFT k = {options.Raft.Distractors}, P = {options.Raft.OracleProbability:G2}, curriculum k = [{string.Join(", ", options.Curriculum ?? [options.Raft.Distractors])}]. ")
            + options.BudgetNote;
    }
}
