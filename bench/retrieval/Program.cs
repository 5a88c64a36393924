// Retrieval benchmark entry point: `cmrc [path/to/cmrc2018_trial.json]` (BM25 on CMRC 2018 trial) or
// `scale [max-chunks]` (synthetic BM25 index growth: memory, build time, query latency at 10k/100k/1M chunks) or
// `hierarchical [chunks]` (document-first vs flat search: recall@5 and latency per document route, default 100k chunks).
using RagTune.Bench.Retrieval;

string mode = args.Length > 0 ? args[0] : "cmrc";
switch (mode)
{
    case "cmrc":
        CmrcBenchmark.Run(args.Length > 1 ? args[1] : DefaultCmrcPath());
        break;
    case "scale":
        ScaleBenchmark.Run(args.Length > 1 ? int.Parse(args[1]) : 1_000_000);
        break;
    case "hierarchical":
        await HierarchicalBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 100_000);
        break;
    default:
        Console.Error.WriteLine("usage: RagTune.Bench.Retrieval cmrc [cmrc2018_trial.json] | scale [max-chunks] | hierarchical [chunks]");
        return 2;
}
return 0;

// ../shared/testdata/cmrc2018/cmrc2018_trial.json relative to the repository root (the folder holding RagTune.slnx).
static string DefaultCmrcPath()
{
    var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RagTune.slnx"))) dir = dir.Parent;
    string root = dir?.FullName ?? Directory.GetCurrentDirectory();
    return Path.GetFullPath(Path.Combine(root, "..", "shared", "testdata", "cmrc2018", "cmrc2018_trial.json"));
}
