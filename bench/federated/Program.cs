// Federated fine-tuning experiment (bench, not CI; issue 17): one synthetic RAFT world whose training entities are dealt
// to three sites, LoRA adapters over one base student, EM on the same unseen-entity questions for every arm:
//   centralised  — one adapter trained on all three sites' data (N steps);
//   alone        — each site trains its own adapter on its third only (N / sites steps each: what a site spends in the
//                  federated arm, so the arms differ only in what is shared);
//   federated    — FedAvg over R rounds of N / (sites × R) local steps per site (N local steps in all, as centralised);
//                  see FederatedArm for how it runs.
// Usage: dotnet run -c Release --project bench/federated -- [--entities N] [--sites 3] [--steps N] [--rounds R]
//        [--pretrain-steps N] [--k 1] [--regime raft|raftcot] [--lr X] [--rank R] [--batch N] [--eval-items N]
//        [--seed N] [--arms central,alone,fed] [--out DIR]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;
using RagTune.Bench;
using RagTune.Bench.Federated;
using RagTune.Pipeline.Synthetic;
using RagTune.Raft.Export;

var cli = new BenchArguments(args);
var c = CultureInfo.InvariantCulture;

int sites = cli.Int("--sites", 3);
int steps = cli.Int("--steps", 1500);
int rounds = cli.Int("--rounds", 5);
int batch = cli.Int("--batch", 16);
int rank = cli.Int("--rank", 8);
int k = cli.Int("--k", 1);
float lr = cli.Float("--lr", 2e-3f);
var regime = Enum.Parse<RaftRegime>(cli.Text("--regime") ?? "raftcot", ignoreCase: true);
var arms = (cli.List("--arms", a => a) ?? ["central", "alone", "fed"]).ToHashSet(StringComparer.Ordinal);
ulong seed = (ulong)cli.Int("--seed", 7);
if (steps % (sites * rounds) != 0)
    throw new ArgumentException($"--steps {steps}: expected a multiple of sites × rounds = {sites * rounds}, so every arm spends exactly N local steps");
int stepsAlone = steps / sites, stepsPerRound = steps / (sites * rounds);

var options = new SyntheticBenchmarkOptions
{
    OutputDirectory = cli.Text("--out") ?? Path.Combine("bench", "federated", "out"),
    World = new SyntheticWorldOptions { Entities = cli.Int("--entities", 3000), AttributesPerEntity = 3, ValuesPerAttribute = 24, Seed = seed },
    Student = new StudentModelOptions { HiddenSize = 128, Layers = 2, IntermediateSize = 256, Seed = seed },
    Raft = new SyntheticRaftOptions { Distractors = k, OracleProbability = 0.8, ExamplesPerFact = 1, Seed = seed },
    PretrainSteps = cli.Int("--pretrain-steps", 1500),
    PretrainRegime = regime,
    BatchSize = batch,
    LearningRates = [1e-3f],
};
string root = Path.GetFullPath(options.OutputDirectory);
var clock = Stopwatch.StartNew();
var progress = new Progress<string>(line => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}"));
void Say(string line) => ((IProgress<string>)progress).Report(line);
var load = new List<string>();
void Load() => load.Add($"{DateTime.UtcNow:HH:mm} {File.ReadAllText("/proc/loadavg").Trim()}");
Load();

// 1. The world, its split between the sites, and the data: each site's RAFT examples from its own entities (distractors
//    from its own documents); the centralised data is exactly the union of the sites' examples.
var world = SyntheticWorld.Generate(options.World);
var split = world.WithSites(sites);
string dataDir = Path.Combine(root, "data");
var siteData = new List<string>();
var central = new List<RagTune.Raft.Generation.RaftExample>();
for (int s = 0; s < sites; s++)
{
    string name = SyntheticWorld.SiteSplit(s);
    var examples = SyntheticRaftData.Build(split, regime, options.Raft with { Seed = options.Raft.Seed + (ulong)s }, name);
    string path = Path.Combine(dataDir, $"{name}.jsonl");
    RaftExporter.WriteChatJsonl(path, examples);
    siteData.Add(path);
    central.AddRange(examples);
    Say($"{name}: {split.DocumentsIn(name).Count()} entities, {examples.Count} examples → {path}");
}
string centralData = Path.Combine(dataDir, "central.jsonl");
RaftExporter.WriteChatJsonl(centralData, central);
var items = SyntheticRaftData.EvalItems(world, k, options.Raft.Seed, "test", cli.Int("--eval-items", 300));

// 2. The base every arm's adapter sits on (the benchmark's "reader base" when --pretrain-steps > 0).
string baseModel = await SyntheticBenchmark.BaseStudentAsync(world, options, new SftStudentTrainer(), progress);
Load();

// 3. The arms. Every adapter: rank r, alpha 2r, on every projection, constant lr after a warm-up, batch B.
var students = new List<(string Name, string Adapter)>();
var template = new SftTrainingOptions
{
    ModelPath = baseModel,
    DataPath = centralData,
    OutputDirectory = root,
    Lora = new LoraOptions { Rank = rank, Alpha = 2 * rank },
    BatchSize = batch,
    MaxLength = options.MaxLength,
    LearningRate = lr,
    Decay = LearningRateDecay.Constant,
    Seed = seed,
};
Task<string> TrainLora(string name, string data, int n, ulong runSeed) =>
    SyntheticBenchmark.TrainOnceAsync(Path.Combine(root, "students", name), name, progress, CancellationToken.None, async output =>
    {
        Say($"{name}: LoRA, {n} steps on {Path.GetFileName(data)}");
        var trainer = new SftTrainer(template with
        {
            DataPath = data,
            OutputDirectory = output,
            MaxSteps = n,
            WarmupSteps = Math.Min(25, n / 10),
            Seed = runSeed,
            CheckpointEvery = Math.Max(50, n / 5),
            Resume = true,
        });
        var report = new Progress<TrainingProgress>(p =>
        {
            if (p.Step % 100 == 0 || p.Step == p.TotalSteps)
                Say($"  {name} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} ({p.TokensPerSecond:F0} tok/s)");
        });
        var result = await trainer.RunAsync(report, CancellationToken.None);
        return result.OutputPath;
    });
var wall = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
if (arms.Contains("central"))
{
    var t = Stopwatch.StartNew();
    students.Add(("centralised", await TrainLora("centralised", centralData, steps, seed)));
    wall["centralised"] = t.Elapsed;
    Load();
}
if (arms.Contains("alone"))
    for (int s = 0; s < sites; s++)
    {
        var t = Stopwatch.StartNew();
        string name = $"{SyntheticWorld.SiteSplit(s)} alone";
        students.Add((name, await TrainLora(SyntheticWorld.SiteSplit(s) + "-alone", siteData[s], stepsAlone, seed + (ulong)s)));
        wall[name] = t.Elapsed;
        Load();
    }
if (arms.Contains("fed"))
{
    var t = Stopwatch.StartNew();
    students.Add(("federated", await FederatedArm.RunAsync(root, baseModel, siteData, rounds, stepsPerRound,
        template with { WarmupSteps = Math.Min(25, stepsPerRound / 10) }, Say)));
    wall["federated"] = t.Elapsed;
    Load();
}

// --eval-items 0: train only (arms can train in separate processes side by side, each with its own --out; a last run over
// one folder holding every arm's students/ then evaluates them together, reusing what is trained).
if (items.Count == 0)
{
    Say($"trained {string.Join(", ", students.Select(x => x.Name))}; no evaluation (--eval-items 0)");
    return;
}

// 4. One evaluation over the same questions: the base without an adapter, then every arm (adapters merged into copies).
var systems = new List<IEvalSystem>
{
    new StudentSystem("base (no adapter)", TextGenerator.Load(baseModel), StudentContext.OracleAndDistractors, maxTokens: SyntheticBenchmark.MaxTokens(regime)),
};
foreach (var (name, adapter) in students)
{
    string merged = Path.Combine(root, "merged", name.Replace(' ', '-'));
    if (!File.Exists(Path.Combine(merged, "model.safetensors")))
    {
        var decoder = DecoderModel.Load(baseModel);
        PeftAdapter.Load(adapter, decoder.LayerLinears).MergeInto(decoder.LayerLinears);
        HfCheckpointWriter.Save(merged, decoder, baseModel);
    }
    systems.Add(new StudentSystem(name, TextGenerator.Load(merged), StudentContext.OracleAndDistractors, maxTokens: SyntheticBenchmark.MaxTokens(regime)));
}
var run = await new EvaluationRunner(new EvaluationRunnerOptions
{
    MaxConcurrency = Math.Max(1, Math.Min(Environment.ProcessorCount, systems.Count)),
    ResultsPath = Path.Combine(root, "results.jsonl"),
    Seed = (int)(seed & 0x7FFFFFFF),
    Title = "Federated fine-tuning experiment (unseen entities)",
}).RunAsync(items, systems);
Load();

// 5. The table: EM with its bootstrap interval per arm, the sites' mean, and paired differences on the same questions.
string Pct(double v) => (100 * v).ToString("F1", c);
string Signed(double v) => (100 * v).ToString("+0.0;−0.0;0.0", c);
var table = new StringBuilder();
table.AppendLine("| Arm | training data | local steps | EM [95 % CI] | wall clock |");
table.AppendLine("|---|---|---|---|---|");
foreach (var summary in run.Summaries)
{
    var em = summary.Metrics[MetricNames.ExactMatch];
    string data = summary.System switch
    {
        "base (no adapter)" => "none (the reader base)",
        "centralised" => $"all {sites} sites' examples pooled ({central.Count})",
        "federated" => $"each site its own; FedAvg of adapters, {rounds} rounds, {FederatedArm.InProcess}",
        _ => "its own third",
    };
    string n = summary.System switch
    {
        "base (no adapter)" => "0",
        "centralised" => steps.ToString(c),
        "federated" => $"{sites} × {rounds} × {stepsPerRound} = {steps}",
        _ => stepsAlone.ToString(c),
    };
    string time = wall.TryGetValue(summary.System, out var w) ? $"{w.TotalMinutes:F1} min" : "–";
    table.AppendLine($"| {summary.System} | {data} | {n} | {Pct(em.Mean)} [{Pct(em.CiLow ?? double.NaN)}, {Pct(em.CiHigh ?? double.NaN)}] | {time} |");
}
var pooled = new List<(ulong, EvalRun)> { (seed, run) };
var aloneNames = Enumerable.Range(0, sites).Select(s => $"{SyntheticWorld.SiteSplit(s)} alone").Where(n => run.Systems.Contains(n)).ToList();
if (aloneNames.Count == sites)
{
    // The sites' mean: per question, the fraction of the sites' students that answered it right.
    var perItem = run.Items.Select(i => aloneNames.Average(n => run.Results.Single(r => r.System == n && r.ItemId == i.Id).Metrics[MetricNames.ExactMatch])).ToList();
    var (lo, hi) = Aggregator.BootstrapCi(perItem, 2000, 0.95, 17);
    table.AppendLine($"| sites alone, mean | | {stepsAlone} each | {Pct(perItem.Average())} [{Pct(lo)}, {Pct(hi)}] | |");
}
table.AppendLine();
table.AppendLine(string.Create(c, $"{run.Items.Count} test questions about entities no site holds (oracle + {k} distractor(s) shown); chance of a guessed value {100.0 / options.World.ValuesPerAttribute:F1} %."));
var pairs = new List<(string A, string B)>();
if (run.Systems.Contains("federated"))
{
    pairs.Add(("federated", "centralised"));
    pairs.AddRange(aloneNames.Select(n => ("federated", n)));
}
pairs.AddRange(aloneNames.Select(n => ("centralised", n)));
pairs.Add(("centralised", "base (no adapter)"));
var diffLines = pairs.Where(p => run.Systems.Contains(p.A) && run.Systems.Contains(p.B)).Select(p =>
{
    var d = SyntheticSeedPool.PairedDifferences(pooled, p.A, p.B);
    var (lo, hi) = Aggregator.BootstrapCi(d, 2000, 0.95, 17);
    return $"- {p.A} − {p.B}: {Signed(d.Average())} [{Signed(lo)}, {Signed(hi)}] points";
}).ToList();
if (diffLines.Count > 0)
{
    table.AppendLine();
    table.AppendLine("Paired differences in EM over the same questions (percentile bootstrap, 95 %):");
    table.AppendLine();
    foreach (var l in diffLines) table.AppendLine(l);
}
string describe = string.Create(c, $"World: {options.World.Entities} fictional entities, seed {seed}, 20 % held out as test entities; ")
    + string.Create(c, $"training entities dealt to {sites} sites in contiguous thirds ({string.Join(" / ", Enumerable.Range(0, sites).Select(s => split.DocumentsIn(SyntheticWorld.SiteSplit(s)).Count()))} entities). ")
    + string.Create(c, $"Regime {regime}, k = {k}, P = {options.Raft.OracleProbability:G2}, 1 example per fact. ")
    + string.Create(c, $"Base: student d = {options.Student.HiddenSize}, {options.Student.Layers} layers, random init + {options.PretrainSteps} steps of reading practice in the {regime} answer format (full fine-tuning, another world, one document, always the right one). ")
    + string.Create(c, $"Adapters: LoRA r = {rank}, alpha {2 * rank}, all projections, lr {lr:G3} constant after warm-up, batch {batch}.");
string loads = "Load average (time, 1/5/15 min): " + string.Join("; ", load) + ".";
string text = $"{describe}\n\n{table}\n{loads}\nWall clock: {clock.Elapsed.TotalMinutes:F1} min on {Environment.ProcessorCount} cores.\n";
Console.WriteLine();
Console.WriteLine(text);
File.WriteAllText(Path.Combine(root, "table.md"), text);
