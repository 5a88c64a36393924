// A FederatedSite against an in-test Flower server on loopback: the instructions of a round in the order a Flower server
// sends them (properties, parameters, fit, evaluate, reconnect) with the answers checked, and every bad FitIns answered
// with an error status naming the round and field while the site's adapter stays as it was.
using Google.Protobuf;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;
using RagTune.Federated.Sites;

namespace RagTune.Federated.Tests.Sites;

public sealed class FederatedSiteTests : IDisposable
{
    private static readonly (string Q, string A)[] Facts =
    [
        ("Where is the red door?", "north"),
        ("Who keeps the keys?", "Mara"),
        ("What opens the gate?", "the blue lever"),
        ("When does the ferry leave?", "at noon"),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-site-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Model => Path.Combine(AppContext.BaseDirectory, "TestData", "models", "qwen2-tiny");

    private string WriteChat(string name, IEnumerable<(string Q, string A)> facts)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllLines(path, facts.Select(f => System.Text.Json.JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = f.Q }, new { role = "assistant", content = f.A } },
        })));
        return path;
    }

    private FederatedSiteOptions Options(string server, string? key = "site-a-key") => new()
    {
        Server = server,
        SiteKey = key,
        Training = new SftTrainingOptions
        {
            ModelPath = Model, DataPath = WriteChat("train.jsonl", Facts), OutputDirectory = Path.Combine(_dir, "work"),
            MaxSteps = 2, LearningRate = 1e-2f, MaxLength = 256, Lora = new LoraOptions { Rank = 4, Alpha = 8 },
        },
        EvaluationDataPath = WriteChat("heldout.jsonl", Facts.Take(3)),
        MaxEvaluationAnswers = 2,
        MaxAnswerTokens = 6,
    };

    private static ServerMessage Fit(Parameters parameters, params (string Key, Scalar Value)[] config)
    {
        var fit = new ServerMessage.Types.FitIns { Parameters = parameters };
        foreach (var (k, v) in config) fit.Config.Add(k, v);
        return new ServerMessage { FitIns = fit };
    }

    private static List<NpyArray> Arrays(Parameters p) => [.. p.Tensors.Select((t, i) => NpyFormat.Read(t.Span, $"tensor {i}"))];

    private static List<float[]> Snapshot(AdapterSet set) => [.. PeftAdapter.Tensors(set).Select(t => t.Values.ToArray())];

    [Fact]
    public async Task A_site_answers_a_round_of_a_Flower_server_and_trains_on_its_own_data()
    {
        await using var server = await FakeFlowerServer.StartAsync();
        using var site = new FederatedSite(Options(server.Address));
        var run = site.RunAsync(Ct);

        var properties = (await server.AskAsync(new ServerMessage { GetPropertiesIns = new() }, run, Ct)).GetPropertiesRes;
        Assert.Equal(Code.Ok, properties.Status.Code);
        Assert.Equal(site.TensorKeys.Count, properties.Properties["tensors"].Sint64);

        var initial = (await server.AskAsync(new ServerMessage { GetParametersIns = new() }, run, Ct)).GetParametersRes;
        Assert.Equal(Code.Ok, initial.Status.Code);
        Assert.Equal("numpy.ndarray", initial.Parameters.TensorType);
        var initialArrays = Arrays(initial.Parameters);
        // qwen2-tiny has 2 layers × 7 projections; lora_A and lora_B each: 28 tensors, in sorted key order.
        Assert.Equal(28, initialArrays.Count);
        Assert.Equal(site.TensorKeys.Order(StringComparer.Ordinal), site.TensorKeys);
        var expected = PeftAdapter.Tensors(site.Adapter).ToDictionary(t => t.Key);
        for (int i = 0; i < initialArrays.Count; i++)
        {
            var t = expected[site.TensorKeys[i]];
            Assert.Equal([t.Rows, t.Columns], initialArrays[i].Shape);
            Assert.Equal(t.Values, initialArrays[i].Values);
        }

        // The global adapter of round 1: the initial one with non-zero B, so that it differs from the site's own.
        var global = initial.Parameters.Clone();
        var random = new Random(5);
        for (int i = 0; i < global.Tensors.Count; i++)
            if (site.TensorKeys[i].EndsWith(".lora_B.weight", StringComparison.Ordinal))
            {
                var a = initialArrays[i];
                var values = a.Values.Select(_ => (float)(random.NextDouble() - 0.5) * 0.02f).ToArray();
                global.Tensors[i] = ByteString.CopyFrom(NpyFormat.Write(new NpyArray(NpyDtype.Float32, a.Shape, values)));
            }
        var fit = (await server.AskAsync(Fit(global, ("server_round", new Scalar { Sint64 = 1 }), ("local_steps", new Scalar { Sint64 = 3 }),
            ("learning_rate", new Scalar { Double = 0.02 })), run, Ct)).FitRes;
        Assert.True(fit.Status.Code == Code.Ok, fit.Status.Message);
        Assert.Equal(Facts.Length, fit.NumExamples);
        Assert.True(double.IsFinite(fit.Metrics["loss"].Double) && fit.Metrics["loss"].Double > 0, $"loss {fit.Metrics["loss"]}");
        Assert.Equal(3, fit.Metrics["steps"].Sint64);
        var trained = Arrays(fit.Parameters);
        var sent = Arrays(global);
        Assert.Equal(sent.Select(a => a.ShapeText), trained.Select(a => a.ShapeText));
        Assert.Contains(Enumerable.Range(0, sent.Count), i => !sent[i].Values.SequenceEqual(trained[i].Values));
        // The site keeps what it trained (and saves it as a PEFT adapter), and sends that next time.
        var local = PeftAdapter.Tensors(site.Adapter).ToDictionary(t => t.Key);
        for (int i = 0; i < trained.Count; i++) Assert.Equal(trained[i].Values, local[site.TensorKeys[i]].Values);
        Assert.True(File.Exists(Path.Combine(_dir, "work", "local-adapter", PeftAdapter.WeightsFileName)));

        var evaluate = (await server.AskAsync(new ServerMessage { EvaluateIns = new() { Parameters = fit.Parameters } }, run, Ct)).EvaluateRes;
        Assert.True(evaluate.Status.Code == Code.Ok, evaluate.Status.Message);
        Assert.Equal(3, evaluate.NumExamples);
        Assert.True(float.IsFinite(evaluate.Loss) && evaluate.Loss > 0, $"loss {evaluate.Loss}");
        Assert.Equal(evaluate.Loss, (float)evaluate.Metrics["loss"].Double);
        Assert.InRange(evaluate.Metrics["em"].Double, 0, 1);
        Assert.Equal(2, evaluate.Metrics["em_answers"].Sint64);

        // Round 2 trains from round 1's result; only the round being trained keeps its run folder.
        var fit2 = (await server.AskAsync(Fit(fit.Parameters, ("server_round", new Scalar { Sint64 = 2 }), ("local_steps", new Scalar { Sint64 = 1 })), run, Ct)).FitRes;
        Assert.True(fit2.Status.Code == Code.Ok, fit2.Status.Message);
        Assert.Equal(["round-0002"], Directory.GetDirectories(Path.Combine(_dir, "work", "rounds")).Select(Path.GetFileName));

        var bye = await server.AskAsync(new ServerMessage { ReconnectIns = new() { Seconds = 0 } }, run, Ct);
        Assert.Equal(Reason.Reconnect, bye.DisconnectRes.Reason);
        var result = await run.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        Assert.Equal((2, 1, 0), (result.FitRounds, result.EvaluateRounds, result.RefusedMessages));
        Assert.Equal(["site-a-key"], server.SiteKeys);
    }

    [Fact]
    public async Task Bad_FitIns_are_answered_with_the_round_and_field_and_leave_the_adapter_untouched()
    {
        await using var server = await FakeFlowerServer.StartAsync();
        using var site = new FederatedSite(Options(server.Address, key: null));
        var run = site.RunAsync(Ct);
        var good = (await server.AskAsync(new ServerMessage { GetParametersIns = new() }, run, Ct)).GetParametersRes.Parameters;
        var before = Snapshot(site.Adapter);
        string key5 = site.TensorKeys[5];

        async Task<string> Refused(ServerMessage message)
        {
            var res = (await server.AskAsync(message, run, Ct)).FitRes;
            Assert.Equal(Code.FitNotImplemented, res.Status.Code);
            Assert.Empty(res.Parameters.Tensors);
            Assert.Equal(before, Snapshot(site.Adapter));
            return res.Status.Message;
        }

        var fewer = good.Clone();
        fewer.Tensors.RemoveAt(27);
        Assert.StartsWith("round 1: FitIns.parameters.tensors: expected 28 tensors", await Refused(Fit(fewer)));

        var shape = good.Clone();
        var a5 = NpyFormat.Read(shape.Tensors[5].Span, "t");
        int[] wrong = [a5.Shape[0], a5.Shape[1] + 1];
        shape.Tensors[5] = ByteString.CopyFrom(NpyFormat.Write(new NpyArray(NpyDtype.Float32, wrong, new float[wrong[0] * wrong[1]])));
        Assert.Equal($"round 7: FitIns.parameters.tensors[5] ({key5}): expected shape [{a5.Shape[0]}, {a5.Shape[1]}], got [{wrong[0]}, {wrong[1]}]",
            await Refused(Fit(shape, ("server_round", new Scalar { Sint64 = 7 }))));

        var infinite = good.Clone();
        var huge = new float[a5.Values.Length];
        huge[3] = float.PositiveInfinity; // float64 1e300 narrows to this; any dtype from the server is read as float32 values
        infinite.Tensors[5] = ByteString.CopyFrom(NpyFormat.Write(new NpyArray(NpyDtype.Float64, a5.Shape, huge)));
        Assert.StartsWith($"round 8: FitIns.parameters.tensors[5] ({key5}): value 3 is ",
            await Refused(Fit(infinite, ("server_round", new Scalar { Sint64 = 8 }))));

        Assert.Equal("round 9: FitIns.config[\"local_epochs\"]: expected sint64 (an integer), got double 1.5",
            await Refused(Fit(good, ("server_round", new Scalar { Sint64 = 9 }), ("local_epochs", new Scalar { Double = 1.5 }))));
        // Without server_round the site counts FitIns: these are the fifth and sixth.
        Assert.Equal("round 5: FitIns.config[\"learning_rate\"]: expected double, got string \"fast\"",
            await Refused(Fit(good, ("learning_rate", new Scalar { String = "fast" }))));
        Assert.Equal("round 6: FitIns.config[\"learning_rate\"]: expected a finite value > 0, got -1",
            await Refused(Fit(good, ("learning_rate", new Scalar { Double = -1 }))));

        // Nothing was trained on: no round folder was made.
        Assert.False(Directory.Exists(Path.Combine(_dir, "work", "rounds")));
        await server.AskAsync(new ServerMessage { ReconnectIns = new() }, run, Ct);
        var result = await run.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        Assert.Equal((0, 6), (result.FitRounds, result.RefusedMessages));
        Assert.Equal([null], server.SiteKeys);
    }
}
