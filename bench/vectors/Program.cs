// Vector index benchmark: HNSW vs exact on synthetic data — build time, single-thread QPS and recall@10 per efSearch.
// Usage: dotnet run -c Release --project bench/vectors -- [--n 100000] [--dims 384] [--queries 500] [--m 16]
//        [--efc 200] [--ef 16,32,64,128,256] [--data clustered|gaussian] [--clusters 1000] [--seed 1] [--dump DIR]
// --dump writes the data and queries (raw little-endian float32) and the parameters to DIR for hnswlib_reference.py.
using System.Diagnostics;
using System.Runtime.InteropServices;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Tests.Dense;

var opts = Args.Parse(args);
int n = opts.Int("n", 100_000), dims = opts.Int("dims", 384), nq = opts.Int("queries", 500);
int m = opts.Int("m", 16), efc = opts.Int("efc", 200), clusters = opts.Int("clusters", 1000), seed = opts.Int("seed", 1);
int[] efs = opts.Get("ef", "16,32,64,128,256").Split(',').Select(int.Parse).ToArray();
string kind = opts.Get("data", "clustered");
var metric = VectorMetric.Cosine;

Console.WriteLine($"# {kind} data, N = {n:N0}, D = {dims}, {nq} queries, cosine, M = {m}, efConstruction = {efc}, {Environment.ProcessorCount} logical CPUs");
// Clustered: Gaussian blobs (σ = 0.5 around centres with σ = 1 per axis), a stand-in for text embeddings, which cluster by topic.
var all = kind == "gaussian" ? VectorData.Gaussian(n + nq, dims, seed) : VectorData.Clustered(n + nq, dims, clusters, seed, spread: 0.5f);
var data = all[..n];
var queries = all[n..];
if (opts.Get("dump", "") is { Length: > 0 } dump)
{
    Directory.CreateDirectory(dump);
    using (var f = File.Create(Path.Combine(dump, "data.f32"))) foreach (var v in data) f.Write(MemoryMarshal.AsBytes(v.AsSpan()));
    using (var f = File.Create(Path.Combine(dump, "queries.f32"))) foreach (var v in queries) f.Write(MemoryMarshal.AsBytes(v.AsSpan()));
    File.WriteAllText(Path.Combine(dump, "params.json"),
        $$"""{"n": {{n}}, "dims": {{dims}}, "queries": {{nq}}, "m": {{m}}, "efc": {{efc}}, "ef": [{{string.Join(", ", efs)}}], "data": "{{kind}}"}""");
}

// The machine may be shared: every timing is reported as wall time and as this process's CPU time.
var me = Process.GetCurrentProcess();
double Cpu() { me.Refresh(); return me.TotalProcessorTime.TotalSeconds; }

var sw = Stopwatch.StartNew();
double cpu0 = Cpu();
var exact = new ExactVectorIndex(dims, metric, n);
for (int i = 0; i < n; i++) exact.Add(i.ToString(), data[i]);
double exactBuild = sw.Elapsed.TotalSeconds;

sw.Restart();
cpu0 = Cpu();
var truth = queries.Select(q => exact.Search(q, 10)).ToList();
double exactQps = nq / sw.Elapsed.TotalSeconds, exactCpuQps = nq / (Cpu() - cpu0);
Console.WriteLine($"exact: build {exactBuild:F2} s, {exactQps:F1} QPS wall, {exactCpuQps:F1} QPS per CPU-second (single thread)");

sw.Restart();
cpu0 = Cpu();
var hnsw = new HnswIndex(dims, metric, new HnswOptions { M = m, EfConstruction = efc, Seed = (ulong)seed });
for (int i = 0; i < n; i++)
{
    hnsw.Add(i.ToString(), data[i]);
    if ((i + 1) % 20_000 == 0) Console.WriteLine($"  hnsw inserted {i + 1:N0} in {sw.Elapsed.TotalSeconds:F1} s");
}
double hnswBuild = sw.Elapsed.TotalSeconds, hnswBuildCpu = Cpu() - cpu0;
Console.WriteLine($"hnsw: build {hnswBuild:F1} s wall, {hnswBuildCpu:F1} s CPU ({n / hnswBuildCpu:F0} inserts per CPU-second, single writer)");

string path = Path.Combine(Path.GetTempPath(), $"ragtune-bench-{Guid.NewGuid():N}.hnsw");
sw.Restart();
hnsw.Save(path);
double save = sw.Elapsed.TotalSeconds;
long bytes = new FileInfo(path).Length;
sw.Restart();
var loaded = HnswIndex.Load(path);
double load = sw.Elapsed.TotalSeconds;
File.Delete(path);
Console.WriteLine($"hnsw file: {bytes / 1048576.0:F1} MiB, save {save:F2} s, load {load:F2} s");

Console.WriteLine();
Console.WriteLine("| index | efSearch | recall@10 | QPS wall (1 thread) | QPS per CPU-second | p50 ms | p99 ms |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
Console.WriteLine($"| exact | – | 1.000 | {exactQps:F1} | {exactCpuQps:F1} | | |");
foreach (int ef in efs)
{
    var lat = new double[nq];
    var found = new List<IReadOnlyList<VectorHit>>(nq);
    var total = Stopwatch.StartNew();
    cpu0 = Cpu();
    for (int q = 0; q < nq; q++)
    {
        long t0 = Stopwatch.GetTimestamp();
        found.Add(loaded.Search(queries[q], 10, null, ef));
        lat[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
    double qps = nq / total.Elapsed.TotalSeconds, cpuQps = nq / (Cpu() - cpu0);
    Array.Sort(lat);
    int hits = 0;
    for (int q = 0; q < nq; q++)
    {
        var t = truth[q].Select(h => h.Id).ToHashSet();
        hits += found[q].Count(h => t.Contains(h.Id));
    }
    double recall = hits / (double)truth.Sum(t => t.Count);
    Console.WriteLine($"| hnsw | {ef} | {recall:F3} | {qps:F0} | {cpuQps:F0} | {lat[nq / 2]:F3} | {lat[(int)(nq * 0.99)]:F3} |");
}

sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--")) throw new ArgumentException($"expected --name value, found '{args[i]}'");
            d[args[i][2..]] = args[i + 1];
        }
        return new Args(d);
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v) : fallback;
}
