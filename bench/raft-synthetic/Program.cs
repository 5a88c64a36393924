// Synthetic RAFT benchmark (bench, not CI): trains DSF, RAFT and RAFT + CoT students from random initialisation on a
// world of fictional entities and reports EM/F1 on unseen entities, with oracle + distractors and distractors only.
// Usage: dotnet run -c Release --project bench/raft-synthetic -- [--quick] [--entities N] [--steps N] [--batch N]
//        [--lr X] [--hidden N] [--layers N] [--eval-items N] [--out DIR] [--results bench/RESULTS.md]
using System.Diagnostics;
using System.Globalization;
using RagTune.Eval.Synthetic;

var arguments = args.ToList();
string? Arg(string name)
{
    int i = arguments.IndexOf(name);
    return i >= 0 && i + 1 < arguments.Count ? arguments[i + 1] : null;
}
int Int(string name, int fallback) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
bool quick = arguments.Contains("--quick");

var options = new SyntheticBenchmarkOptions
{
    OutputDirectory = Arg("--out") ?? Path.Combine("bench", "raft-synthetic", quick ? "out-quick" : "out"),
    World = new SyntheticWorldOptions { Entities = Int("--entities", quick ? 200 : 1000), AttributesPerEntity = 3, ValuesPerAttribute = 24 },
    Student = new StudentModelOptions { HiddenSize = Int("--hidden", quick ? 64 : 128), Layers = Int("--layers", 2), IntermediateSize = 2 * Int("--hidden", quick ? 64 : 128) },
    Raft = new SyntheticRaftOptions { Distractors = 4, OracleProbability = 0.8 },
    StepsPerRegime = Int("--steps", quick ? 60 : 3000),
    BatchSize = Int("--batch", quick ? 8 : 16),
    LearningRate = Arg("--lr") is { } lr ? float.Parse(lr, CultureInfo.InvariantCulture) : 1e-3f,
    EvalItems = Int("--eval-items", quick ? 30 : 300),
};
var clock = Stopwatch.StartNew();
var progress = new Progress<string>(line => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}"));
var result = await SyntheticBenchmark.RunAsync(options, new SftStudentTrainer(), progress);
string budget = $"Wall clock: {clock.Elapsed.TotalMinutes:F1} min for everything (3 regimes trained + evaluated) on {Environment.ProcessorCount} cores.";
Console.WriteLine();
Console.WriteLine(result.Table);
Console.WriteLine(budget);
Console.WriteLine($"report: {result.ReportPath}");

if (Arg("--results") is { } resultsPath)
{
    const string Heading = "## Synthetic RAFT benchmark";
    string text = File.Exists(resultsPath) ? File.ReadAllText(resultsPath) : "# Results\n";
    int start = text.IndexOf(Heading, StringComparison.Ordinal);
    if (start >= 0)
    {
        int next = text.IndexOf("\n## ", start + Heading.Length, StringComparison.Ordinal);
        text = text[..start] + (next >= 0 ? text[(next + 1)..] : "");
    }
    string section = $"{Heading}\n\n{SyntheticBenchmark.Describe(options)}\n{budget}\n\n"
        + $"Command: `dotnet run -c Release --project bench/raft-synthetic -- {string.Join(' ', args)}`\n\n{result.Table}\n";
    File.WriteAllText(resultsPath, text.TrimEnd() + "\n\n" + section);
}
