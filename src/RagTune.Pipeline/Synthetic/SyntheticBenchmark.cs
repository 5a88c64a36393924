// Runs the synthetic RAFT benchmark: world → base student → per-regime RAFT data → trained students (cached per regime)
// → every (regime, test context) evaluated on unseen entities → JSON, HTML and the paper-shaped markdown table.
using System.Globalization;
using System.Text;
using RagTune.Engine.Generation;
using RagTune.Eval;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Reports;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;
using RagTune.Raft.Export;

namespace RagTune.Pipeline.Synthetic;

/// <summary>Paths and the evaluation of a finished benchmark run.</summary>
public sealed record SyntheticBenchmarkResult(EvalRun Run, string ReportPath, string JsonPath, string Table,
    IReadOnlyDictionary<RaftRegime, string> Students, IReadOnlyList<LearningRateChoice> LearningRates);

/// <summary>The rate kept for a regime and the validation EM of every rate tried (NaN when only one rate was given).</summary>
public sealed record LearningRateChoice(RaftRegime Regime, float Rate, IReadOnlyList<(float Rate, double ValidationEm)> Tried);

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
        if (options.LearningRates.Count == 0 || options.LearningRates.Any(lr => !(lr > 0)))
            throw new EvalException($"synthetic benchmark learning rates: found [{string.Join(", ", options.LearningRates)}]; expected one or more positive rates");
        string root = Path.GetFullPath(options.OutputDirectory);
        var world = SyntheticWorld.Generate(options.World);
        string baseModel = await BaseStudentAsync(world, options, trainer, progress, cancellationToken).ConfigureAwait(false);

        // A sweep holds out validation entities from training, so the rate is chosen on entities no student saw, as the
        // test entities are, without ever looking at the test split.
        bool sweep = options.LearningRates.Count > 1;
        var trainWorld = sweep ? world.WithValidationSplit(options.ValidationFraction) : world;
        var validation = sweep
            ? SyntheticRaftData.EvalItems(trainWorld, options.Raft.Distractors, options.Raft.Seed, "validation", options.ValidationItems)
            : null;
        var students = new Dictionary<RaftRegime, string>();
        var chosen = new List<LearningRateChoice>();
        foreach (var regime in options.Regimes)
        {
            var scores = new List<(float Rate, double Em, string Path)>();
            foreach (var lr in options.LearningRates)
            {
                string path = await TrainRegimeAsync(trainWorld, regime, lr, baseModel, root, options, trainer, progress, cancellationToken).ConfigureAwait(false);
                double em = validation is null ? double.NaN
                    : await ValidationEmAsync(regime, lr, path, validation, root, cancellationToken).ConfigureAwait(false);
                if (sweep) progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{Label(regime)} lr {lr:G3}: validation EM {100 * em:F1} %"));
                scores.Add((lr, em, path));
            }
            // Ties go to the first rate listed.
            var best = scores.Aggregate((a, b) => b.Em > a.Em ? b : a);
            students[regime] = best.Path;
            chosen.Add(new LearningRateChoice(regime, best.Rate, scores.Select(x => (x.Rate, x.Em)).ToList()));
        }

        var items = SyntheticRaftData.EvalItems(world, options.Raft.Distractors, options.Raft.Seed, "test", options.EvalItems);
        var systems = new List<IEvalSystem>();
        var contexts = new Dictionary<string, StudentContext>(StringComparer.Ordinal);
        foreach (var (regime, path) in students)
        {
            var generator = TextGenerator.Load(path);
            var shown = regime == RaftRegime.Dsf
                ? new[] { StudentContext.ClosedBook, StudentContext.OracleAndDistractors, StudentContext.DistractorsOnly }
                : [StudentContext.OracleAndDistractors, StudentContext.DistractorsOnly];
            foreach (var context in shown)
            {
                systems.Add(new StudentSystem(SystemName(regime, context), generator, context, maxTokens: MaxTokens(regime)));
                contexts[SystemName(regime, context)] = context;
            }
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
        string table = Table(run, options, sweep ? chosen : null) + "\nWhere the answers come from (% of answers):\n\n"
            + AnswerSources.Table(AnswerSources.Classify(run, world, contexts));
        string report = Path.Combine(root, "report.html");
        await HtmlReport.WriteAsync(run, report, new HtmlReportOptions { Note = Describe(options) + "\n\n" + table }, cancellationToken).ConfigureAwait(false);
        string json = Path.Combine(root, "results.json");
        await JsonReport.WriteAsync(run, json, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(root, "table.md"), table, cancellationToken).ConfigureAwait(false);
        return new SyntheticBenchmarkResult(run, report, json, table, students, chosen);
    }

    /// <summary>The checkpoint every student of <paramref name="world"/> starts from, made once in the output folder: random
    /// weights over the world's vocabulary (base/), then, with <see cref="SyntheticBenchmarkOptions.PretrainSteps"/>, the
    /// reading practice on another world (the "reader base"). Reused when a previous run made it.</summary>
    public static async Task<string> BaseStudentAsync(SyntheticWorld world, SyntheticBenchmarkOptions options, IStudentTrainer trainer,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainer);
        string root = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(root);
        var practice = options.PretrainSteps > 0 ? PracticeWorld(options.World) : null;
        string baseModel = Path.Combine(root, "base");
        if (!File.Exists(Path.Combine(baseModel, "model.safetensors")))
        {
            progress?.Report($"base student → {baseModel}");
            var corpus = SyntheticRaftData.Corpus(world);
            if (practice is not null) corpus = corpus.Concat(SyntheticRaftData.Corpus(practice));
            StudentModel.CreateBase(baseModel, corpus, options.Student);
        }
        return practice is null ? baseModel
            : await PretrainAsync(practice, baseModel, root, options, trainer, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The world the base student practises reading on: same templates and sizes, another seed, so none of its
    /// entities or facts is the benchmark world's.</summary>
    public static SyntheticWorld PracticeWorld(SyntheticWorldOptions world) =>
        SyntheticWorld.Generate(world with { Seed = world.Seed + PracticeSeedOffset });

    // Keeps the practice world and its data draws apart from any benchmark world's seed.
    private const ulong PracticeSeedOffset = 1_000_003;

    /// <summary>Reading practice: every fact of the practice world (all its splits) as "document → question → &lt;ANSWER&gt;:
    /// value" (with <see cref="SyntheticBenchmarkOptions.PretrainRegime"/> RAFT + CoT: the quoted sentence first) with the
    /// one right document and no distractor; the checkpoint every regime then starts from.</summary>
    private static Task<string> PretrainAsync(SyntheticWorld practice, string baseModel, string root, SyntheticBenchmarkOptions options,
        IStudentTrainer trainer, IProgress<string>? progress, CancellationToken ct) =>
        TrainOnceAsync(Path.Combine(root, options.PretrainRegime == RaftRegime.Raft ? "base-reader" : $"base-reader-{options.PretrainRegime.ToString().ToLowerInvariant()}"), "reader base", progress, ct, output =>
        {
            var raft = options.Raft with { Distractors = 0, OracleProbability = 1, Seed = options.Raft.Seed + PracticeSeedOffset };
            var regime = options.PretrainRegime;
            var data = SyntheticRaftData.Build(practice, regime, raft, "train").Concat(SyntheticRaftData.Build(practice, regime, raft, "test"));
            string path = Path.Combine(root, "data", regime == RaftRegime.Raft ? "pretrain_reading_k0.jsonl" : $"pretrain_reading_{regime.ToString().ToLowerInvariant()}_k0.jsonl");
            RaftExporter.WriteChatJsonl(path, data);
            progress?.Report($"reader base: {options.PretrainSteps} steps of reading practice on another world → {output}");
            return trainer.TrainAsync(new StudentTrainingJob(baseModel, [new TrainingStage(path, options.PretrainSteps)], output,
                options.LearningRates[0], options.BatchSize, options.MaxLength, options.Raft.Seed + PracticeSeedOffset), progress, ct);
        });

    /// <summary>The checkpoint a finished training job left in <paramref name="output"/> (its <see cref="DoneMarker"/> names
    /// it), or, when there is none yet, the one <paramref name="train"/> makes, recorded in the marker once training ends —
    /// so a rerun reuses finished students and an interrupted one trains (resuming its stages) again.</summary>
    public static async Task<string> TrainOnceAsync(string output, string name, IProgress<string>? progress, CancellationToken ct,
        Func<string, Task<string>> train)
    {
        string marker = Path.Combine(output, DoneMarker);
        if (File.Exists(marker))
        {
            string done = (await File.ReadAllTextAsync(marker, ct).ConfigureAwait(false)).Trim();
            progress?.Report($"{name}: reusing {done}");
            return done;
        }
        string trained = await train(output).ConfigureAwait(false);
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(marker, trained + "\n", ct).ConfigureAwait(false);
        return trained;
    }

    /// <summary>Tokens a student may generate: the CoT answer quotes a sentence before its &lt;ANSWER&gt;:; a bare answer
    /// is "&lt;ANSWER&gt;: value" and the end token (4 tokens), with room to spare, since a budget that ends inside the
    /// format scores a right value as no answer.</summary>
    public static int MaxTokens(RaftRegime regime) => regime == RaftRegime.RaftCot ? 48 : 16;

    private static string Label(RaftRegime regime) => regime switch
    {
        RaftRegime.Dsf => "DSF",
        RaftRegime.Raft => "RAFT",
        _ => "RAFT + CoT",
    };

    /// <summary>EM of a trained student on the validation entities with oracle + distractors (for DSF that is DSF + RAG,
    /// the row it is compared on, so the baseline gets its best rate too).</summary>
    private static async Task<double> ValidationEmAsync(RaftRegime regime, float lr, string student, IReadOnlyList<EvalItem> items, string root, CancellationToken ct)
    {
        var system = new StudentSystem("validation", TextGenerator.Load(student), StudentContext.OracleAndDistractors, maxTokens: MaxTokens(regime));
        var run = await new EvaluationRunner(new EvaluationRunnerOptions
        {
            MaxConcurrency = 1,
            ResultsPath = Path.Combine(root, "validation", $"{StudentName(regime, lr)}.jsonl"),
            Title = "validation",
        }).RunAsync(items, [system], ct).ConfigureAwait(false);
        return run.Summaries.Single().Metrics[MetricNames.ExactMatch].Mean;
    }

    private static string StudentName(RaftRegime regime, float lr) =>
        string.Create(CultureInfo.InvariantCulture, $"{regime.ToString().ToLowerInvariant()}-lr{lr:G3}");

    /// <summary>Optimizer steps of each curriculum stage: <paramref name="total"/> split by the weights (equal when null),
    /// rounding down, the remainder to the last (hardest) stage.</summary>
    public static IReadOnlyList<int> StageSteps(int total, int stages, IReadOnlyList<double>? weights)
    {
        if (weights is not null && (weights.Count != stages || weights.Any(w => !(w > 0))))
            throw new EvalException($"synthetic benchmark curriculum weights: found [{string.Join(", ", weights)}] for {stages} stage(s); "
                + "expected one positive weight per stage");
        double sum = weights?.Sum() ?? stages;
        var steps = new int[stages];
        for (int s = 0; s < stages - 1; s++)
            steps[s] = (int)Math.Floor(total * (weights?[s] ?? 1) / sum);
        steps[^1] = total - steps.Take(stages - 1).Sum();
        return steps;
    }

    private static Task<string> TrainRegimeAsync(SyntheticWorld world, RaftRegime regime, float lr, string baseModel, string root,
        SyntheticBenchmarkOptions options, IStudentTrainer trainer, IProgress<string>? progress, CancellationToken ct)
    {
        string name = StudentName(regime, lr);
        return TrainOnceAsync(Path.Combine(root, "students", name), name, progress, ct, output =>
        {
            // DSF has no documents, so no curriculum; RAFT climbs from few distractors to k (stages above k are dropped).
            var curriculum = options.Curriculum ?? [options.Raft.Distractors];
            if (options.CurriculumWeights is { } w && w.Count != curriculum.Count)
                throw new EvalException($"synthetic benchmark: {w.Count} curriculum weights for {curriculum.Count} curriculum stages; expected one per stage");
            var plan = regime == RaftRegime.Dsf
                ? [(K: 0, Weight: 1.0)]
                : curriculum.Select((k, i) => (K: k, Weight: options.CurriculumWeights?[i] ?? 1.0)).Where(p => p.K <= options.Raft.Distractors).ToList();
            if (plan.Count == 0) plan = [(options.Raft.Distractors, 1.0)];
            var steps = StageSteps(options.StepsPerRegime, plan.Count, plan.Select(p => p.Weight).ToList());
            var stages = new List<TrainingStage>();
            string worldTag = world.DocumentsIn("validation").Any() ? "-val" : "";
            for (int s = 0; s < plan.Count; s++)
            {
                var data = SyntheticRaftData.Build(world, regime, options.Raft with { Distractors = plan[s].K, Seed = options.Raft.Seed + (ulong)s });
                string path = Path.Combine(root, "data", $"{regime.ToString().ToLowerInvariant()}{worldTag}_stage{s}_k{plan[s].K}.jsonl");
                RaftExporter.WriteChatJsonl(path, data);
                stages.Add(new TrainingStage(path, steps[s]));
            }
            progress?.Report($"{name}: training {options.StepsPerRegime} steps over {stages.Count} stage(s) ({string.Join(" + ", steps)})");
            return trainer.TrainAsync(new StudentTrainingJob(baseModel, stages, output, lr, options.BatchSize,
                options.MaxLength, options.Raft.Seed), progress, ct);
        });
    }

    /// <summary>The paper's table shape: one row per regime, EM and F1 with oracle + distractors and with distractors only.</summary>
    public static string Table(EvalRun run, SyntheticBenchmarkOptions options, IReadOnlyList<LearningRateChoice>? sweep = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        var byName = run.Summaries.ToDictionary(s => s.System, StringComparer.Ordinal);
        string Cell(RaftRegime regime, StudentContext context)
        {
            if (!byName.TryGetValue(SystemName(regime, context), out var s)) return "–";
            string f(string m) => s.Metrics.TryGetValue(m, out var v) ? (100 * v.Mean).ToString("F1", CultureInfo.InvariantCulture) : "–";
            string ci = s.Metrics.TryGetValue(MetricNames.ExactMatch, out var em) && em.CiLow is double lo && em.CiHigh is double hi
                ? string.Create(CultureInfo.InvariantCulture, $" [{100 * lo:F1}, {100 * hi:F1}]") : "";
            return $"{f(MetricNames.ExactMatch)}{ci} / {f(MetricNames.F1)}";
        }
        var sb = new StringBuilder();
        string from = options.PretrainSteps > 0 ? "from the reader base" : "trained from random init";
        sb.AppendLine($"| Student ({from}) | EM [95 % CI] / F1, oracle + distractors | EM [95 % CI] / F1, distractors only |");
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
        if (sweep is not null)
        {
            sb.AppendLine();
            sb.Append("Learning rate kept per regime (best validation EM, oracle + distractors, on held-out training entities): ");
            sb.AppendLine(string.Join("; ", sweep.Select(c => $"{Label(c.Regime)} {c.Rate.ToString("G3", CultureInfo.InvariantCulture)} ("
                + string.Join(", ", c.Tried.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Rate:G3}: {100 * t.ValidationEm:F1} %"))) + ")")) + ".");
        }
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
            + string.Create(c, $"Student: Qwen2 layout, {s.Layers} layers, d={s.HiddenSize}, {s.Heads} heads, FFN {s.IntermediateSize}, word-level vocabulary, random init")
            + (options.PretrainSteps > 0
                ? string.Create(c, $", then {options.PretrainSteps} steps of reading practice on another world (one document, always the right one, no distractor; the \"reader base\" every regime starts from). ")
                : ". ")
            + string.Create(c, $"Training: full fine-tuning, {options.StepsPerRegime} steps per regime at batch {options.BatchSize}, ")
            + string.Create(c, $"peak lr {string.Join(" / ", options.LearningRates.Select(lr => lr.ToString("G3", c)))}")
            + (options.LearningRates.Count > 1 ? string.Create(c, $" (swept; {100 * options.ValidationFraction:F0} % of training documents held out for validation)") : "")
            + ", warm-up then constant, cosine decay in the last stage, "
            + string.Create(c, $"RAFT k = {options.Raft.Distractors}, P = {options.Raft.OracleProbability:G2}, {options.Raft.ExamplesPerFact} example(s) per fact per stage, ")
            + string.Create(c, $"curriculum k = [{string.Join(", ", options.Curriculum ?? [options.Raft.Distractors])}]")
            + (options.CurriculumWeights is { } cw ? string.Create(c, $" weighted [{string.Join(", ", cw)}]") : "") + ". "
            + options.BudgetNote;
    }
}
