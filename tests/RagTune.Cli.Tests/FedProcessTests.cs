// Issue 17's proof with real processes on loopback: `ragtune fed serve` and three `ragtune fed join` sites, each with its
// own third of a synthetic world. The global adapter of every round must be the num_examples-weighted mean of the adapters
// the sites trained that round (each site leaves them in its work folder, local-rounds/round-NNNN-adapter); a site killed with
// SIGKILL mid-training is dropped from its round, and an aggregator killed with SIGKILL mid-round resumes from its folder
// at that round (the finished one neither re-run nor recorded twice).
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RagTune.Engine.Tensors;
using RagTune.Engine.Training;
using RagTune.Federated.Aggregation;
using RagTune.Pipeline.Synthetic;
using RagTune.Raft.Export;
using Xunit;

namespace RagTune.Cli.Tests;

public sealed partial class FedProcessTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-fed-proc-").FullName;
    private readonly string _model;
    private readonly string[] _data = new string[3];

    public FedProcessTests()
    {
        // A tiny student over a 30-entity world; the 24 training entities are dealt to three sites (8 each, 2 questions per
        // entity), and the sites hold 1, 2 and 3 examples per fact, so that weighting by num_examples matters.
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 30, AttributesPerEntity = 2, ValuesPerAttribute = 6 });
        var sites = world.WithSites(3);
        _model = Path.Combine(_dir, "model");
        StudentModel.CreateBase(_model, SyntheticRaftData.Corpus(world),
            new StudentModelOptions { HiddenSize = 16, Layers = 1, Heads = 2, KeyValueHeads = 1, IntermediateSize = 32, MaxPositions = 256 });
        for (int s = 0; s < 3; s++)
        {
            _data[s] = Path.Combine(_dir, $"{SyntheticWorld.SiteSplit(s)}.jsonl");
            RaftExporter.WriteChatJsonl(_data[s], SyntheticRaftData.Build(sites, RaftRegime.Raft,
                new SyntheticRaftOptions { Distractors = 1, ExamplesPerFact = s + 1, Seed = (ulong)s }, SyntheticWorld.SiteSplit(s)));
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ChildCli Serve(int port, string output, double roundTimeout, int localSteps) => ChildCli.Start("fed", "serve",
        "--listen", $"127.0.0.1:{port}", "--out", output, "--rounds", "2", "--min-clients", "3", "--min-fit-results", "2",
        "--round-timeout", roundTimeout.ToString(CultureInfo.InvariantCulture), "--local-steps", localSteps.ToString(CultureInfo.InvariantCulture),
        "--fraction-evaluate", "0", "--seed", "1");

    private ChildCli Join(int port, int site, string work) => ChildCli.Start("fed", "join", "--server", $"127.0.0.1:{port}",
        "--model", _model, "--data", _data[site], "--work", work, "--lora-rank", "2", "--lora-alpha", "4", "--batch-size", "2",
        "--lr", "0.01", "--max-length", "256", "--no-reconnect");

    /// <summary>What a site logged for <paramref name="round"/>: "round N: fit done: … over S steps, E examples".</summary>
    private static long Examples(ChildCli site, int round)
    {
        var m = Regex.Match(site.Output, $@"round {round}: fit done: .* over \d+ steps, (\d+) examples");
        Assert.True(m.Success, $"the site did not finish round {round}:\n{site.Output}");
        return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, float[]> Tensors(string adapterFolder)
    {
        using var file = SafeTensorFile.Open(Path.Combine(adapterFolder, PeftAdapter.WeightsFileName));
        return file.Tensors.ToDictionary(t => t.Name, t => file.ReadFloat32(t.Name), StringComparer.Ordinal);
    }

    /// <summary>The aggregator's adapter of <paramref name="round"/> equals Σ n_s·w_s / Σ n_s over the sites' local results,
    /// computed here in float64 and rounded once; and it differs from every single site's (the mean is not one of them).</summary>
    private static void AssertWeightedMean(string output, int round, IReadOnlyList<(string Work, long Examples)> sites)
    {
        var global = Tensors(Path.Combine(output, "rounds", $"round-{round:D4}"));
        var local = sites.Select(s => (Tensors: Tensors(Path.Combine(s.Work, "local-rounds", $"round-{round:D4}-adapter")), s.Examples)).ToList();
        double total = sites.Sum(s => (double)s.Examples);
        Assert.Equal(local[0].Tensors.Keys.Order(StringComparer.Ordinal), global.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, values) in global)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double sum = 0;
                foreach (var (tensors, n) in local) sum += n * (double)tensors[name][i];
                float expected = (float)(sum / total);
                Assert.True(Math.Abs(expected - values[i]) <= 1e-6f * Math.Max(1f, Math.Abs(expected)),
                    $"round {round}: {name}[{i}] is {values[i]}; the weighted mean of the sites' results is {expected}");
            }
        }
        foreach (var (tensors, _) in local)
            Assert.Contains(global, kv => !kv.Value.SequenceEqual(tensors[kv.Key]));
    }

    [Fact]
    public async Task Three_site_processes_train_two_rounds_and_the_global_adapter_is_their_example_weighted_mean()
    {
        var ct = TestContext.Current.CancellationToken;
        int port = FreePort();
        string output = Path.Combine(_dir, "fed");
        var works = Enumerable.Range(0, 3).Select(s => Path.Combine(_dir, $"work-{s}")).ToArray();
        using var serve = Serve(port, output, roundTimeout: 60, localSteps: 3);
        await serve.WaitUntilAsync(() => serve.Output.Contains("listening on", StringComparison.Ordinal), Limit, "listening", ct);
        var sites = Enumerable.Range(0, 3).Select(s => Join(port, s, works[s])).ToArray();
        try
        {
            Assert.True(await serve.WaitForExitAsync(Limit, ct) == 0, serve.Output);
            foreach (var site in sites) Assert.True(await site.WaitForExitAsync(Limit, ct) == 0, site.Output);
            for (int round = 1; round <= 2; round++)
            {
                int r = round;
                var counts = sites.Select(s => Examples(s, r)).ToArray();
                Assert.Equal(3, counts.Distinct().Count());
                AssertWeightedMean(output, round, works.Select((w, i) => (w, counts[i])).ToList());
            }
            var history = FederationHistory.Read(output)!;
            Assert.Equal([1, 2], history.Rounds.Select(x => x.Round));
            Assert.All(history.Rounds, x => Assert.Equal(3, x.Fit.Sites.Count));
            Assert.Equal(sites.Sum(s => Examples(s, 1)), history.Rounds[0].Fit.NumExamples);
        }
        finally
        {
            foreach (var site in sites) site.Dispose();
        }
    }

    [Fact]
    public async Task A_site_killed_mid_training_is_dropped_after_the_timeout_and_a_killed_aggregator_resumes_at_its_round()
    {
        var ct = TestContext.Current.CancellationToken;
        int port = FreePort();
        string output = Path.Combine(_dir, "fed");
        var works = Enumerable.Range(0, 3).Select(s => Path.Combine(_dir, $"work-{s}")).ToArray();
        var serve = Serve(port, output, roundTimeout: 45, localSteps: 60);
        var sites = new List<ChildCli>();
        try
        {
            await serve.WaitUntilAsync(() => serve.Output.Contains("listening on", StringComparison.Ordinal), Limit, "listening", ct);
            sites.AddRange(Enumerable.Range(0, 3).Select(s => Join(port, s, works[s])));
            // Round 1: site c is killed (SIGKILL) while it trains; the round goes on with sites a and b.
            await sites[2].WaitUntilAsync(() => sites[2].Output.Contains("round 1: fit:", StringComparison.Ordinal), Limit, "round 1 training\n" + serve.Output, ct);
            sites[2].Process.Kill();
            await sites[2].Process.WaitForExitAsync(ct);
            await serve.WaitUntilAsync(() => serve.Output.Contains("round 1 finished", StringComparison.Ordinal), Limit, "round 1 finished", ct);
            AssertWeightedMean(output, 1, [(works[0], Examples(sites[0], 1)), (works[1], Examples(sites[1], 1))]);
            Assert.Equal(2, FederationHistory.Read(output)!.Rounds.Single().Fit.Sites.Count);
            string round1 = Path.Combine(output, "rounds", "round-0001", PeftAdapter.WeightsFileName);
            byte[] round1Bytes = await File.ReadAllBytesAsync(round1, ct);

            // Site c rejoins (a fresh work folder), round 2 starts, and the aggregator is killed while the sites train.
            var rejoined = Join(port, 2, Path.Combine(_dir, "work-2b"));
            sites.Add(rejoined);
            await rejoined.WaitUntilAsync(() => rejoined.Output.Contains("round 2: fit:", StringComparison.Ordinal), Limit, "round 2 training", ct);
            serve.Process.Kill();
            await serve.Process.WaitForExitAsync(ct);
            Assert.True(FederationHistory.Read(output)!.FinishedRounds == 1, "round 2 finished before the kill; the test did not interrupt it");
            foreach (var site in sites) site.Dispose();
            sites.Clear();

            // Restarted with the same folder: it resumes after round 1 and runs round 2 only.
            serve.Dispose();
            port = FreePort();
            serve = Serve(port, output, roundTimeout: 60, localSteps: 3);
            await serve.WaitUntilAsync(() => serve.Output.Contains("listening on", StringComparison.Ordinal), Limit, "listening again", ct);
            var again = Enumerable.Range(0, 3).Select(s => Path.Combine(_dir, $"work-{s}-again")).ToArray();
            sites.AddRange(Enumerable.Range(0, 3).Select(s => Join(port, s, again[s])));
            Assert.Equal(0, await serve.WaitForExitAsync(Limit, ct));
            Assert.Contains("resuming", serve.Output, StringComparison.Ordinal);
            foreach (var site in sites)
            {
                Assert.Equal(0, await site.WaitForExitAsync(Limit, ct));
                Assert.DoesNotContain("round 1: fit", site.Output, StringComparison.Ordinal);
            }
            AssertWeightedMean(output, 2, again.Select((w, i) => (w, Examples(sites[i], 2))).ToList());
            var history = FederationHistory.Read(output)!;
            Assert.Equal([1, 2], history.Rounds.Select(x => x.Round));
            Assert.Equal(round1Bytes, await File.ReadAllBytesAsync(round1, ct));
            Assert.Equal(3, history.Rounds[1].Fit.Sites.Count);
        }
        finally
        {
            foreach (var site in sites) site.Dispose();
            serve.Dispose();
        }
    }
}
