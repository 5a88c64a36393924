// The encoder backward (full and LoRA), InfoNCE and the LSR loss against finite differences on the tiny BERT fixtures; LSR
// with answer log-likelihoods from the frozen tiny Qwen2, proving the gradient reaches the query encoder.
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class EncoderTrainingTests
{
    private static readonly int[] Text = [2, 17, 9, 23, 5, 3];
    private static readonly int[] Doc1 = [2, 11, 12, 3];
    private static readonly int[] Doc2 = [2, 30, 8, 14, 3];

    /// <summary>Central differences (in double from float outputs) on a spread of coordinates of every trainable tensor.</summary>
    internal static void CheckParameters(ParameterSet parameters, Func<double> objective, Action backward, int perTensor = 6)
    {
        parameters.ZeroGrad();
        backward();
        const float eps = 1e-2f;
        foreach (var t in parameters.Tensors)
        {
            int step = Math.Max(1, t.Values.Length / perTensor);
            for (int i = step / 2; i < t.Values.Length; i += step)
            {
                float keep = t.Values[i];
                t.Values[i] = keep + eps;
                double plus = objective();
                t.Values[i] = keep - eps;
                double minus = objective();
                t.Values[i] = keep;
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(numeric - t.Grad[i]) <= 2e-3 + 3e-2 * Math.Abs(numeric),
                    $"{t.Name}[{i}]: analytic {t.Grad[i]} vs numeric {numeric}");
            }
        }
    }

    [Theory]
    [InlineData("bert-tiny-cls")]
    [InlineData("bert-tiny-mean")]
    public void FullEncoderBackwardMatchesFiniteDifferences(string fixture)
    {
        var model = BertEncoder.Load(Fixtures.Dir(fixture));
        var parameters = EncoderTrainingGraph.AllParameters(model);
        var graph = new EncoderTrainingGraph(model, parameters);
        var r = DecoderPassesGradientTests.Random(model.Dimensions, 3);
        double Objective() => graph.Forward(Text).Zip(r, (a, b) => (double)a * b).Sum();
        CheckParameters(parameters, Objective, () => { graph.Forward(Text); graph.Backward(r); });
    }

    [Fact]
    public void LoraOnQueryKeyValueDenseMatchesFiniteDifferences()
    {
        var model = BertEncoder.Load(Fixtures.Dir("bert-tiny-cls"));
        var adapters = PeftAdapter.CreateNew(EncoderTrainingGraph.EncoderLinears(model),
            new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["query", "key", "value", "dense"] }, new Random(5));
        foreach (var (_, ad) in adapters.Modules)
            for (int i = 0; i < ad.B.Length; i++) ad.B[i] = 0.1f * MathF.Sin(i + 1);   // non-zero B so A gets a gradient
        var parameters = ParameterSet.ForAdapters(adapters);
        Assert.Equal(2 * 2 * 6, parameters.Tensors.Count);   // 2 layers × q,k,v + attention.output.dense, intermediate.dense, output.dense
        var graph = new EncoderTrainingGraph(model, parameters, adapters);
        var r = DecoderPassesGradientTests.Random(model.Dimensions, 4);
        double Objective() => graph.Forward(Text).Zip(r, (a, b) => (double)a * b).Sum();
        CheckParameters(parameters, Objective, () => { graph.Forward(Text); graph.Backward(r); });
    }

    [Fact]
    public void InfoNceGradientMatchesFiniteDifferences()
    {
        var q = Enumerable.Range(0, 2).Select(i => DecoderPassesGradientTests.Random(6, 10 + i)).ToList();
        var p = Enumerable.Range(0, 6).Select(i => DecoderPassesGradientTests.Random(6, 20 + i)).ToList();
        var dq = q.Select(x => new float[x.Length]).ToList();
        var dp = p.Select(x => new float[x.Length]).ToList();
        double Loss() => ContrastiveLosses.InfoNce(q, p, 0.5f, q.Select(x => new float[x.Length]).ToList(), p.Select(x => new float[x.Length]).ToList());
        ContrastiveLosses.InfoNce(q, p, 0.5f, dq, dp);
        for (int i = 0; i < q.Count; i++) DecoderPassesGradientTests.Check(q[i], dq[i], Loss, $"dq{i}");
        for (int j = 0; j < p.Count; j++) DecoderPassesGradientTests.Check(p[j], dp[j], Loss, $"dp{j}");
    }

    [Fact]
    public void LsrGradientReachesTheQueryEncoder()
    {
        // Frozen generator: log p(answer | document, query) from the tiny Qwen2, no gradient.
        var generator = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var lm = new DecoderTrainingGraph(generator, new ParameterSet()) { Training = false };
        int[] answer = [40, 41, 42];
        double LogP(int[] doc)
        {
            int[] ids = [.. doc, 7, 8, .. answer];
            var labels = ids.Select((id, i) => i >= ids.Length - answer.Length ? id : TokenizedExample.IgnoreIndex).ToArray();
            return -lm.Batch([new TokenizedExample(ids, labels)], backward: false) * answer.Length;
        }
        double[] logp = [LogP([100, 101, 102]), LogP([200, 201]), LogP([300, 301, 302, 303])];
        Assert.NotEqual(logp[0], logp[1]);

        // Retriever: query encoder with trainable weights; documents embedded once by a frozen copy.
        var docEncoder = BertEncoder.Load(Fixtures.Dir("bert-tiny-cls"));
        var frozen = new EncoderTrainingGraph(docEncoder, new ParameterSet());
        var docs = new[] { Doc1, Doc2, Text }.Select(d => frozen.Forward(d)).ToList();
        var queryEncoder = BertEncoder.Load(Fixtures.Dir("bert-tiny-cls"));
        var parameters = EncoderTrainingGraph.AllParameters(queryEncoder);
        var graph = new EncoderTrainingGraph(queryEncoder, parameters);
        int[] query = [2, 19, 27, 3];
        double Objective() => ContrastiveLosses.LsrKl(graph.Forward(query), docs, logp, 0.5f, 0.1f, new float[queryEncoder.Dimensions]);
        CheckParameters(parameters, Objective, () =>
        {
            var dq = new float[queryEncoder.Dimensions];
            ContrastiveLosses.LsrKl(graph.Forward(query), docs, logp, 0.5f, 0.1f, dq);
            graph.Backward(dq);
        });
        Assert.Contains(parameters.Tensors, t => t.Name.Contains("attention.self.query") && t.Grad.Any(g => Math.Abs(g) > 1e-6));
    }
}

public sealed class EmbeddingTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-embed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Synthetic retrieval: "search k" must find "document k is the model" among the same sentence for other symbols.
    private static string Query(string s) => "search " + s;
    private static string Passage(string s) => "document " + s + " is the model";

    private static double RecallAt1(Func<string, float[]> embed, string[] symbols)
    {
        var docs = symbols.Select(s => embed(Passage(s))).ToList();
        int hits = 0;
        for (int i = 0; i < symbols.Length; i++)
        {
            var q = embed(Query(symbols[i]));
            var scores = docs.Select(d => q.Zip(d, (a, b) => a * b).Sum()).ToList();
            if (scores.IndexOf(scores.Max()) == i) hits++;
        }
        return (double)hits / symbols.Length;
    }

    [Fact]
    public async Task RecallAt1OnHeldOutQueriesRises()
    {
        string[] train = "abcdefghijklmnopqrst".Select(c => c.ToString()).ToArray();
        string[] heldOut = "uvwxyz0123456789".Select(c => c.ToString()).ToArray();
        string data = Path.Combine(_dir, "train.jsonl");
        File.WriteAllLines(data, train.Select((s, i) => System.Text.Json.JsonSerializer.Serialize(new
        {
            query = Query(s), pos = new[] { Passage(s) },
            neg = Enumerable.Range(1, 3).Select(k => Passage(train[(i + k * 7) % train.Length])).ToArray(),
        })));
        var trainer = new EmbeddingTrainer(new EmbeddingTrainingOptions
        {
            ModelPath = Fixtures.Dir("bert-tiny-cls"), DataPath = data, OutputDirectory = Path.Combine(_dir, "run"),
            BatchSize = 5, GroupSize = 4, Temperature = 0.05f, LearningRate = 3e-3f, MaxSteps = 60, WeightDecay = 0,
        });
        double before = RecallAt1(trainer.Embed, heldOut);

        var result = await trainer.RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        double after = RecallAt1(trainer.Embed, heldOut);
        Assert.True(after >= before + 0.25, $"Recall@1 on held-out queries: {before:0.00} → {after:0.00}");
        // The saved checkpoint loads with the same pooling and embeds as the trained model does.
        var saved = BertEncoder.Load(result.OutputPath);
        var tok = RagTune.Engine.Tokenizers.Tokenizer.Load(result.OutputPath);
        var e1 = saved.Embed(tok.Encode(Query("u"), addSpecialTokens: true));
        var e2 = trainer.Embed(Query("u"));
        for (int i = 0; i < e1.Length; i++) Assert.Equal(e2[i], e1[i], 1e-5f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResumedRunEqualsAnUninterruptedRunBitForBit(bool lora)
    {
        string[] symbols = "abcdefgh".Select(c => c.ToString()).ToArray();
        string data = Path.Combine(_dir, "resume.jsonl");
        File.WriteAllLines(data, symbols.Select((s, i) => System.Text.Json.JsonSerializer.Serialize(new
        {
            query = Query(s), pos = new[] { Passage(s) },
            neg = Enumerable.Range(1, 3).Select(k => Passage(symbols[(i + k * 3) % symbols.Length])).ToArray(),
        })));
        EmbeddingTrainingOptions Options(string run) => new()
        {
            ModelPath = Fixtures.Dir("bert-tiny-cls"), DataPath = data, OutputDirectory = Path.Combine(_dir, run),
            BatchSize = 3, GroupSize = 3, LearningRate = 3e-3f, MaxSteps = 7, WarmupSteps = 2, CheckpointEvery = 2,   // 3 steps an epoch
            Lora = lora ? new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["query", "key", "value", "dense"] } : null,
        };
        var full = await new EmbeddingTrainer(Options("a")).RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new EmbeddingTrainer(Options("b")).RunAsync(new SftTrainerTests.StopAfter(5, cts), cts.Token));
        Assert.False(Directory.Exists(Path.Combine(_dir, "b", lora ? "adapter" : "model")));
        Assert.Equal(5, TrainingCheckpoint.LatestStep(Path.Combine(_dir, "b")));
        var steps = new List<int>();
        var resumed = await new EmbeddingTrainer(Options("b") with { Resume = true }).RunAsync(
            new SftTrainerTests.Recorder(p => steps.Add(p.Step)), TestContext.Current.CancellationToken);

        Assert.Equal([6, 7], steps);   // continued from the step-5 checkpoint the cancellation wrote (the interval is 2)
        Assert.Equal(7, resumed.Losses.Count);
        Assert.Equal(full.Losses, resumed.Losses);
        string file = lora ? PeftAdapter.WeightsFileName : "model.safetensors";
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.OutputPath, file)), File.ReadAllBytes(Path.Combine(resumed.OutputPath, file)));
    }

    [Fact]
    public async Task ResumeWithDifferentSettingsIsRefusedNamingTheSetting()
    {
        var ct = TestContext.Current.CancellationToken;
        string data = Path.Combine(_dir, "guard.jsonl");
        File.WriteAllLines(data, new[] { "a", "b", "c" }.Select(s => System.Text.Json.JsonSerializer.Serialize(new
        {
            query = Query(s), pos = new[] { Passage(s) }, neg = new[] { "the lazy dog" },
        })));
        EmbeddingTrainingOptions Options() => new()
        {
            ModelPath = Fixtures.Dir("bert-tiny-cls"), DataPath = data, OutputDirectory = Path.Combine(_dir, "run"),
            BatchSize = 2, GroupSize = 2, LearningRate = 3e-3f, MaxSteps = 2, CheckpointEvery = 1,
        };
        await new EmbeddingTrainer(Options()).RunAsync(cancellationToken: ct);

        Task Refused(EmbeddingTrainingOptions changed, string difference) => SftTrainerTests.AssertResumeRefused(
            () => new EmbeddingTrainer(changed with { Resume = true }).RunAsync(cancellationToken: ct), Path.Combine(_dir, "run"), difference);
        await Refused(Options() with { LearningRate = 1e-3f }, "learning_rate: was 0.003, now 0.001");
        await Refused(Options() with { MaxSteps = 4 }, "total_steps: was 2, now 4");
        await Refused(Options() with { BatchSize = 3 }, "batch_size: was 2, now 3");
        await Refused(Options() with { Temperature = 0.05f }, "temperature: was 0.02, now 0.05");
        await Refused(Options() with { Lora = new LoraOptions { Rank = 2, TargetModules = ["query"] } },
            "lora: was none (full fine-tune), now r=2 alpha=16 dropout=0 rslora=False targets=query");
        await Refused(Options() with { ModelPath = Fixtures.Dir("bert-tiny-mean") }, $"model: was {Fixtures.Dir("bert-tiny-cls")} [");
        Assert.Equal(2, (await new EmbeddingTrainer(Options() with { Resume = true, CheckpointEvery = 7 }).RunAsync(cancellationToken: ct)).Steps);

        File.AppendAllText(data, System.Text.Json.JsonSerializer.Serialize(new { query = "q", pos = new[] { "p" } }) + "\n");
        await Refused(Options(), "data_sha256: was ");
    }
}
