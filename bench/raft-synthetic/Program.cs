// Synthetic RAFT benchmark (bench, not CI): trains DSF, RAFT and RAFT + CoT students from random initialisation on a
// world of fictional entities and reports EM/F1 on unseen entities, with oracle + distractors and distractors only.
// Usage: dotnet run -c Release --project bench/raft-synthetic -- [--quick] [--entities N] [--steps N] [--batch N]
//        [--lr X[,Y,...]] [--k 4] [--curriculum 1,2,4] [--curriculum-weights 1,1,6] [--examples-per-fact N] [--regimes dsf,raft,raftcot]
//        [--pretrain-steps N] [--hidden N] [--layers N] [--eval-items N] [--seed N | --seeds 7,8,9] [--out DIR] [--results bench/RESULTS.md] [--note TEXT]
// Several --lr values: each regime is trained at each rate and the rate best on held-out training entities is kept.
using System.Diagnostics;
using System.Globalization;
using RagTune.Bench;
using RagTune.Eval.Reports;
using RagTune.Pipeline.Synthetic;
using RagTune.Raft.Export;

var cli = new BenchArguments(args);
bool quick = cli.Has("--quick");
int hidden = cli.Int("--hidden", quick ? 64 : 128);
var defaults = new SyntheticBenchmarkOptions { OutputDirectory = "" };

var options = new SyntheticBenchmarkOptions
{
    OutputDirectory = cli.Text("--out") ?? Path.Combine("bench", "raft-synthetic", quick ? "out-quick" : "out"),
    World = new SyntheticWorldOptions { Entities = cli.Int("--entities", quick ? 200 : 1000), AttributesPerEntity = 3, ValuesPerAttribute = 24, Seed = (ulong)cli.Int("--seed", 7) },
    Student = new StudentModelOptions { HiddenSize = hidden, Layers = cli.Int("--layers", 2), IntermediateSize = 2 * hidden },
    Raft = new SyntheticRaftOptions { Distractors = cli.Int("--k", 4), OracleProbability = 0.8, ExamplesPerFact = cli.Int("--examples-per-fact", 4) },
    Regimes = cli.List("--regimes", r => Enum.Parse<RaftRegime>(r, ignoreCase: true)) ?? defaults.Regimes,
    StepsPerRegime = cli.Int("--steps", quick ? 60 : 3000),
    Curriculum = cli.List("--curriculum", v => int.Parse(v, CultureInfo.InvariantCulture)) ?? defaults.Curriculum,
    CurriculumWeights = cli.List("--curriculum-weights", v => double.Parse(v, CultureInfo.InvariantCulture)) ?? defaults.CurriculumWeights,
    BatchSize = cli.Int("--batch", quick ? 8 : 16),
    LearningRates = cli.List("--lr", v => float.Parse(v, CultureInfo.InvariantCulture)) ?? defaults.LearningRates,
    EvalItems = cli.Int("--eval-items", quick ? 30 : 300),
    PretrainSteps = cli.Int("--pretrain-steps", 0),
};
// --probe-data DIR: write the benchmark's RAFT data as chat JSONL (train stages, and the test and training entities with the
// oracle always / never shown) for tools/reference/raft_probe.py, the PyTorch cross-check of the learning curve, and stop.
if (cli.Text("--probe-data") is { } probeDir)
{
    var world = SyntheticWorld.Generate(options.World);
    var regime = options.Regimes[^1];
    foreach (var (split, p, name) in new[] { ("train", 0.8, "train"), ("test", 1.0, "test_oracle"), ("test", 0.0, "test_none"), ("train", 1.0, "train_oracle") })
        RaftExporter.WriteChatJsonl(Path.Combine(probeDir, $"{regime.ToString().ToLowerInvariant()}_{name}_k{options.Raft.Distractors}.jsonl"),
            SyntheticRaftData.Build(world, regime, options.Raft with { OracleProbability = p, ExamplesPerFact = split == "train" && p < 1 ? options.Raft.ExamplesPerFact : 1 }, split));
    StudentModel.CreateBase(Path.Combine(probeDir, "base"), SyntheticRaftData.Corpus(world), options.Student);
    Console.WriteLine($"probe data → {probeDir}");
    return;
}
var clock = Stopwatch.StartNew();
var progress = new Progress<string>(line => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}"));
string command = $"Command: `dotnet run -c Release --project bench/raft-synthetic -- {string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a))}`";
// --note: what the numbers cannot say by themselves (e.g. the training wall clock of students reused from earlier runs).
string note = cli.Text("--note") is { } n ? n + "\n" : "";
// --seeds 7,8,9: one world (and students) per seed, each in DIR/seedN, then the EM pooled over all of them with intervals.
var seeds = cli.List("--seeds", v => ulong.Parse(v, CultureInfo.InvariantCulture)) ?? [options.World.Seed];
var runs = new List<(ulong Seed, RagTune.Eval.Running.EvalRun Run)>();
var tables = new List<string>();
foreach (var seed in seeds)
{
    var seeded = seeds.Count == 1 ? options : options with
    {
        OutputDirectory = Path.Combine(options.OutputDirectory, $"seed{seed}"),
        World = options.World with { Seed = seed },
        Raft = options.Raft with { Seed = seed },
        Student = options.Student with { Seed = seed },
    };
    var seedClock = Stopwatch.StartNew();
    var result = await SyntheticBenchmark.RunAsync(seeded, new SftStudentTrainer(), progress);
    string seedBudget = $"Wall clock: {seedClock.Elapsed.TotalMinutes:F1} min for world seed {seed} ({options.Regimes.Count} regime(s) × {options.LearningRates.Count} learning rate(s); "
        + $"students already trained in its folder are reused, not retrained) on {Environment.ProcessorCount} cores.";
    Console.WriteLine();
    Console.WriteLine($"World seed {seed}:");
    Console.WriteLine(result.Table);
    Console.WriteLine(seedBudget);
    // The report written by the benchmark knows the settings and the table; add the budget and the exact command.
    await HtmlReport.WriteAsync(result.Run, result.ReportPath, new HtmlReportOptions
    {
        Note = $"{SyntheticBenchmark.Describe(seeded)}\n{seedBudget}\n{note}{command}\n\n{result.Table}",
    });
    Console.WriteLine($"report: {result.ReportPath}");
    runs.Add((seed, result.Run));
    tables.Add($"World seed {seed}:\n\n{result.Table}");
}
string budget = $"Wall clock: {clock.Elapsed.TotalMinutes:F1} min for this invocation ({seeds.Count} world(s)) on {Environment.ProcessorCount} cores.";
string pooled = seeds.Count > 1 ? SyntheticSeedPool.Table(runs) : "";
if (pooled.Length > 0)
{
    Console.WriteLine();
    Console.WriteLine("All seeds:");
    Console.WriteLine(pooled);
    File.WriteAllText(Path.Combine(options.OutputDirectory, "pooled.md"), pooled);
}
Console.WriteLine(budget);
var allTables = string.Join("\n", tables) + (pooled.Length > 0 ? "\nAll seeds:\n\n" + pooled : "");

if (cli.Text("--results") is { } resultsPath)
{
    // Replaces the section in place (or appends it), leaving the rest of the file as it is.
    const string Heading = "## Synthetic RAFT benchmark";
    string text = File.Exists(resultsPath) ? File.ReadAllText(resultsPath) : "# Results\n";
    string section = $"{Heading}\n\n{SyntheticBenchmark.Describe(options)}\n{budget}\n{note}\n{command}\n\n{allTables}\n";
    int start = text.IndexOf(Heading, StringComparison.Ordinal);
    if (start < 0)
        text = text.TrimEnd() + "\n\n" + section;
    else
    {
        int next = text.IndexOf("\n## ", start + Heading.Length, StringComparison.Ordinal);
        text = text[..start] + section + (next >= 0 ? text[next..] : "");
    }
    File.WriteAllText(resultsPath, text);
}
