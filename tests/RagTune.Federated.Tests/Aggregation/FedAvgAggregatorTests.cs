// The aggregator end to end on loopback: three scripted Flower clients, known tensors and example counts, and the saved
// global adapter compared bit for bit with a float64 reference; a hung site, a malformed update, and a resumed run.
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RagTune.Federated.Aggregation;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;
using RagTune.Federated.Protocol;
using static RagTune.Federated.Tests.Aggregation.AggregatorFixture;

namespace RagTune.Federated.Tests.Aggregation;

public sealed class FedAvgAggregatorTests
{
    private static readonly long[] Examples = [3, 5, 11];
    private static readonly float[] EvalLoss = [2.0f, 1.5f, 0.5f];
    private static readonly double[] ExactMatch = [0.2, 0.4, 0.9];

    private static FedAvgAggregatorOptions Options(string output, string init, int rounds) => new()
    {
        OutputDirectory = output,
        Listen = "127.0.0.1:0",
        Rounds = rounds,
        MinAvailableClients = 3,
        MinFitClients = 3,
        MinEvaluateClients = 3,
        InitialAdapter = init,
        RoundTimeout = TimeSpan.FromSeconds(20),
        LocalSteps = 7,
        LearningRate = 0.001,
        ProximalMu = 0.01,
        Seed = 1,
    };

    /// <summary>A well-behaved site i: it returns the received global plus a known offset, with Examples[i] examples.</summary>
    private static Func<ServerMessage, CancellationToken, Task<ClientMessage?>> Honest(int site, AdapterParameters codec) => (ins, _) =>
        Task.FromResult<ClientMessage?>(ins.MsgCase switch
        {
            ServerMessage.MsgOneofCase.FitIns => FitRes(Trained(codec.Decode(ins.FitIns.Parameters, "FitIns.parameters"), site,
                ins.FitIns.Config["server_round"].Sint64), codec.Shapes, Examples[site], loss: 1.0 + site),
            ServerMessage.MsgOneofCase.EvaluateIns => EvaluateRes(EvalLoss[site], Examples[site], ExactMatch[site]),
            _ => throw new InvalidOperationException($"unexpected {ins.MsgCase}"),
        });

    private static float[][] FitInsValues(FakeSite site, AdapterParameters codec, int round) =>
        [.. codec.Decode(site.Received.First(m => m.MsgCase == ServerMessage.MsgOneofCase.FitIns && m.FitIns.Config["server_round"].Sint64 == round)
            .FitIns.Parameters, "FitIns.parameters")];

    [Fact]
    public async Task Two_rounds_of_three_sites_save_the_exact_weighted_average_and_its_history()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "init"), seed: 5), output = Path.Combine(dir, "out");
        var codec = Codec(init);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var aggregator = new FedAvgAggregator(Options(output, init, rounds: 2));
        await aggregator.StartAsync(timeout.Token);
        await using var sites = new FakeSites(Enumerable.Range(0, 3).Select(i => FakeSite.Join($"site-{i}", aggregator.ListenAddress!, Honest(i, codec))));
        var history = await aggregator.RunAsync(timeout.Token);

        var initial = ReadValues(init);
        var round1 = WeightedAverage([.. Enumerable.Range(0, 3).Select(i => (Trained(initial, i, 1), Examples[i]))]);
        var round2 = WeightedAverage([.. Enumerable.Range(0, 3).Select(i => (Trained(round1, i, 2), Examples[i]))]);
        Assert.Equal(round1, ReadValues(Path.Combine(output, "rounds", "round-0001")));
        Assert.Equal(round2, ReadValues(Path.Combine(output, "rounds", "round-0002")));
        Assert.Equal(round2, ReadValues(Path.Combine(output, "adapter")));
        // The sites received exactly round 1's global in round 2, and the FitIns config carried the training settings.
        foreach (var site in sites) Assert.Equal(round1, FitInsValues(site, codec, 2));
        var config = sites[0].Received.First(m => m.MsgCase == ServerMessage.MsgOneofCase.FitIns).FitIns.Config;
        Assert.Equal(7, config["local_steps"].Sint64);
        Assert.Equal(0.001, config["learning_rate"].Double);
        Assert.Equal(0.01, config["proximal_mu"].Double);
        Assert.False(config.ContainsKey("local_epochs"));
        // The saved folder keeps the initial adapter_config.json verbatim.
        Assert.Equal(File.ReadAllText(Path.Combine(init, "adapter_config.json")), File.ReadAllText(Path.Combine(output, "adapter", "adapter_config.json")));

        Assert.Equal(2, history.FinishedRounds);
        Assert.Equal([1, 2], history.Rounds.Select(r => r.Round));
        var r1 = history.Rounds[0];
        Assert.Equal(19, r1.Fit.NumExamples);
        Assert.Equal(["ipv4"], r1.Fit.Sites.Select(s => s[..4]).Distinct());
        Assert.Equal((3 * 1.0 + 5 * 2.0 + 11 * 3.0) / 19, r1.Fit.Metrics["loss"], 12);
        Assert.Equal((3 * 2.0 + 5 * 1.5 + 11 * 0.5) / 19, r1.Evaluate!.Loss!.Value, 6);
        Assert.Equal((3 * 0.2 + 5 * 0.4 + 11 * 0.9) / 19, r1.Evaluate.Metrics["exact_match"], 12);
        Assert.Empty(r1.Fit.Failures);
        var saved = FederationHistory.Read(output)!;
        Assert.Equal(JsonSerializer.Serialize(history), JsonSerializer.Serialize(saved));
        Assert.Equal("rounds/round-0002", saved.GlobalAdapter);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(output, FedAvgAggregator.ChartFileName)));
        // The federation ends as Flower's does: ReconnectIns, answered by DisconnectRes, and a clean end of the stream.
        foreach (var site in sites)
        {
            Assert.Null(await site.Loop.WaitAsync(timeout.Token));
            Assert.Equal(ServerMessage.MsgOneofCase.ReconnectIns, site.Received.Last().MsgCase);
        }
    }

    [Fact]
    public async Task A_site_that_never_answers_is_dropped_after_the_timeout_and_the_round_finishes_with_the_others()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "init"), seed: 6), output = Path.Combine(dir, "out");
        var codec = Codec(init);
        var options = Options(output, init, rounds: 1);
        options.RoundTimeout = TimeSpan.FromSeconds(1.5);
        options.MinFitResults = 2;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var aggregator = new FedAvgAggregator(options);
        await aggregator.StartAsync(timeout.Token);
        await using var sites = new FakeSites
        {
            FakeSite.Join("a", aggregator.ListenAddress!, Honest(0, codec)),
            FakeSite.Join("b", aggregator.ListenAddress!, Honest(1, codec)),
            FakeSite.Join("hung", aggregator.ListenAddress!, (_, _) => Task.FromResult<ClientMessage?>(null)),
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var history = await aggregator.RunAsync(timeout.Token);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.4, 15);

        var initial = ReadValues(init);
        Assert.Equal(WeightedAverage([(Trained(initial, 0, 1), Examples[0]), (Trained(initial, 1, 1), Examples[1])]),
            ReadValues(Path.Combine(output, "adapter")));
        var fit = history.Rounds.Single().Fit;
        Assert.Equal(2, fit.Sites.Count);
        var failure = Assert.Single(fit.Failures);
        Assert.Contains("did not answer FitIns within 1.5 s", failure.Reason);
        // The hung site's stream ended as Flower's server ends it, so it was not asked to evaluate either.
        var ended = await sites[2].Loop.WaitAsync(timeout.Token);
        Assert.Equal(Grpc.Core.StatusCode.DeadlineExceeded, ended!.StatusCode);
        Assert.Equal(2, history.Rounds.Single().Evaluate!.Sites.Count);
    }

    [Fact]
    public async Task A_malformed_update_is_left_out_of_the_average_and_logged_with_its_round_and_field()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "init"), seed: 7), output = Path.Combine(dir, "out");
        var codec = Codec(init);
        var logs = new ListLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var aggregator = new FedAvgAggregator(Options(output, init, rounds: 1), loggerFactory);
        await aggregator.StartAsync(timeout.Token);
        // Site 2 sends its lora_B of v_proj ([4, 2]) transposed: the right number of values in the wrong shape.
        int bad = codec.Keys.ToList().FindIndex(k => k.EndsWith("v_proj.lora_B.weight", StringComparison.Ordinal));
        var shapes = codec.Shapes.Select((s, i) => i == bad ? (IReadOnlyList<int>)[s[1], s[0]] : s).ToList();
        await using var sites = new FakeSites
        {
            FakeSite.Join("a", aggregator.ListenAddress!, Honest(0, codec)),
            FakeSite.Join("b", aggregator.ListenAddress!, Honest(1, codec)),
            FakeSite.Join("bad", aggregator.ListenAddress!, (ins, _) => Task.FromResult<ClientMessage?>(ins.MsgCase == ServerMessage.MsgOneofCase.FitIns
                ? FitRes(Trained(codec.Decode(ins.FitIns.Parameters, "FitIns"), 2, 1), shapes, 1000, 0.1)
                : EvaluateRes(EvalLoss[2], Examples[2], ExactMatch[2]))),
        };
        var history = await aggregator.RunAsync(timeout.Token);

        var initial = ReadValues(init);
        Assert.Equal(WeightedAverage([(Trained(initial, 0, 1), Examples[0]), (Trained(initial, 1, 1), Examples[1])]),
            ReadValues(Path.Combine(output, "adapter")));
        var failure = Assert.Single(history.Rounds.Single().Fit.Failures);
        string expected = $"FitRes.parameters.tensors[{bad}] ({codec.Keys[bad]}): expected shape [4, 2], got [2, 4]";
        Assert.Equal(expected, failure.Reason);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("round 1") && l.Message.Contains(expected));
        Assert.Equal(8, history.Rounds.Single().Fit.NumExamples);
    }

    [Fact]
    public async Task A_float16_federation_averages_half_precision_updates_and_rejects_a_float32_one_naming_the_dtype()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "init"), seed: 13), output = Path.Combine(dir, "out");
        var codec = Codec(init, NpyDtype.Float16);
        var options = Options(output, init, rounds: 1);
        options.TensorDtype = NpyDtype.Float16;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var aggregator = new FedAvgAggregator(options);
        await aggregator.StartAsync(timeout.Token);
        // Sites train on the half-precision global they receive and answer in float16; site 2 answers in float32.
        Func<ServerMessage, CancellationToken, Task<ClientMessage?>> Site(int i, NpyDtype answer) => (ins, _) =>
        {
            if (ins.MsgCase != ServerMessage.MsgOneofCase.FitIns) return Task.FromResult<ClientMessage?>(EvaluateRes(EvalLoss[i], Examples[i], ExactMatch[i]));
            return Task.FromResult<ClientMessage?>(FitRes(Trained(codec.Decode(ins.FitIns.Parameters, "FitIns"), i, 1), codec.Shapes, Examples[i], 1, answer));
        };
        await using var sites = new FakeSites
        {
            FakeSite.Join("a", aggregator.ListenAddress!, Site(0, NpyDtype.Float16)),
            FakeSite.Join("b", aggregator.ListenAddress!, Site(1, NpyDtype.Float16)),
            FakeSite.Join("c", aggregator.ListenAddress!, Site(2, NpyDtype.Float32)),
        };
        var history = await aggregator.RunAsync(timeout.Token);

        // What the sites sent, as the aggregator read it: float16-rounded values, averaged in float64.
        static float[][] Half(float[][] t) => [.. t.Select(x => x.Select(v => (float)(Half)v).ToArray())];
        var global = Half(ReadValues(init));
        Assert.Equal(WeightedAverage([(Half(Trained(global, 0, 1)), Examples[0]), (Half(Trained(global, 1, 1)), Examples[1])]),
            ReadValues(Path.Combine(output, "adapter")));
        var failure = Assert.Single(history.Rounds.Single().Fit.Failures);
        Assert.Equal($"FitRes.parameters.tensors[0] ({codec.Keys[0]}): expected dtype '<f2' (float16), got '<f4' (float32)", failure.Reason);
    }

    [Fact]
    public async Task A_round_with_fewer_valid_updates_than_the_minimum_fails_and_saves_nothing()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "init"), seed: 8), output = Path.Combine(dir, "out");
        var codec = Codec(init);
        var options = Options(output, init, rounds: 1);
        options.MinFitResults = 2;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var aggregator = new FedAvgAggregator(options);
        await aggregator.StartAsync(timeout.Token);
        ClientMessage Failed() => new() { FitRes = new ClientMessage.Types.FitRes { Status = new Status { Code = Code.FitNotImplemented, Message = "no data" } } };
        await using var sites = new FakeSites
        {
            FakeSite.Join("a", aggregator.ListenAddress!, Honest(0, codec)),
            FakeSite.Join("b", aggregator.ListenAddress!, (_, _) => Task.FromResult<ClientMessage?>(Failed())),
            FakeSite.Join("c", aggregator.ListenAddress!, (_, _) => Task.FromResult<ClientMessage?>(Failed())),
        };
        var error = await Assert.ThrowsAsync<FederatedException>(() => aggregator.RunAsync(timeout.Token));
        Assert.StartsWith("round 1: 1 of 3 sites returned a valid update; the round needs at least 2", error.Message);
        Assert.Contains("FitRes.status: the site reported FitNotImplemented (no data)", error.Message);
        Assert.Equal(0, FederationHistory.Read(output)!.FinishedRounds);
        Assert.False(Directory.Exists(Path.Combine(output, "rounds", "round-0001")));
    }

    [Fact]
    public async Task An_aggregator_stopped_in_round_two_resumes_with_round_one_s_adapter_and_no_duplicate_round()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "init"), seed: 9), output = Path.Combine(dir, "out");
        var codec = Codec(init);
        var initial = ReadValues(init);
        var round1 = WeightedAverage([.. Enumerable.Range(0, 3).Select(i => (Trained(initial, i, 1), Examples[i]))]);

        // First life: round 1 completes; in round 2 the sites hold their answers, and the aggregator is stopped and disposed.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var inRound2 = new TaskCompletionSource();
            Func<ServerMessage, CancellationToken, Task<ClientMessage?>> Stalls(int i) => async (ins, ct) =>
            {
                if (ins.MsgCase == ServerMessage.MsgOneofCase.FitIns && ins.FitIns.Config["server_round"].Sint64 == 2)
                {
                    inRound2.TrySetResult();
                    return null;
                }
                return await Honest(i, codec)(ins, ct);
            };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var aggregator = new FedAvgAggregator(Options(output, init, rounds: 2));
            await aggregator.StartAsync(timeout.Token);
            await using var sites = new FakeSites(Enumerable.Range(0, 3).Select(i => FakeSite.Join($"s{i}", aggregator.ListenAddress!, Stalls(i))));
            var run = aggregator.RunAsync(stop.Token);
            await inRound2.Task.WaitAsync(timeout.Token);
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            await aggregator.DisposeAsync();
            var journal = FederationHistory.Read(output)!;
            Assert.Equal(1, journal.FinishedRounds);
            Assert.False(Directory.Exists(Path.Combine(output, "rounds", "round-0002")));
            Assert.Equal(round1, ReadValues(Path.Combine(output, "rounds", "round-0001")));
        }

        // Second life, same folder (a different --init-adapter must not matter): round 2 starts from round 1's adapter.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            string other = WriteAdapter(Path.Combine(dir, "other"), seed: 10);
            await using var aggregator = new FedAvgAggregator(Options(output, other, rounds: 2));
            await aggregator.StartAsync(timeout.Token);
            await using var sites = new FakeSites(Enumerable.Range(0, 3).Select(i => FakeSite.Join($"s{i}", aggregator.ListenAddress!, Honest(i, codec))));
            var history = await aggregator.RunAsync(timeout.Token);
            Assert.Equal([1, 2], history.Rounds.Select(r => r.Round));
            Assert.Equal([2L], sites[0].Received.Where(m => m.MsgCase == ServerMessage.MsgOneofCase.FitIns)
                .Select(m => m.FitIns.Config["server_round"].Sint64));
            foreach (var site in sites) Assert.Equal(round1, FitInsValues(site, codec, 2));
            var round2 = WeightedAverage([.. Enumerable.Range(0, 3).Select(i => (Trained(round1, i, 2), Examples[i]))]);
            Assert.Equal(round2, ReadValues(Path.Combine(output, "adapter")));
            Assert.Equal(Path.GetFullPath(init), history.Initial);
        }
    }

    [Fact]
    public async Task Without_an_initial_adapter_the_aggregator_starts_from_a_site_s_parameters_and_layout()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "site-adapter"), seed: 11), output = Path.Combine(dir, "out");
        var codec = Codec(init);
        var options = Options(output, init, rounds: 1);
        options.InitialAdapter = null;
        options.MinAvailableClients = options.MinFitClients = options.MinEvaluateClients = 1;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var aggregator = new FedAvgAggregator(options);
        await aggregator.StartAsync(timeout.Token);
        var honest = Honest(0, codec);
        await using var site = FakeSite.Join("only", aggregator.ListenAddress!, (ins, ct) => ins.MsgCase switch
        {
            ServerMessage.MsgOneofCase.GetPropertiesIns => Task.FromResult<ClientMessage?>(new ClientMessage
            {
                GetPropertiesRes = new ClientMessage.Types.GetPropertiesRes
                {
                    Status = new Status(),
                    Properties =
                    {
                        [AdapterProperties.AdapterConfig] = new Scalar { String = File.ReadAllText(Path.Combine(init, "adapter_config.json")) },
                        [AdapterProperties.TensorKeys] = new Scalar { String = string.Join('\n', codec.Keys) },
                    },
                },
            }),
            ServerMessage.MsgOneofCase.GetParametersIns => Task.FromResult<ClientMessage?>(new ClientMessage
            {
                GetParametersRes = new ClientMessage.Types.GetParametersRes { Status = new Status(), Parameters = Encode(ReadValues(init), codec.Shapes) },
            }),
            _ => honest(ins, ct),
        });

        var history = await aggregator.RunAsync(timeout.Token);

        Assert.StartsWith("site:ipv4:127.0.0.1:", history.Initial);
        Assert.Equal(ReadValues(init), ReadValues(Path.Combine(output, "rounds", "round-0000")));
        Assert.Equal(Trained(ReadValues(init), 0, 1), ReadValues(Path.Combine(output, "adapter")));
    }
}
