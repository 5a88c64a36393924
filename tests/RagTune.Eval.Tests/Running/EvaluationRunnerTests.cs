// The runner: scores every (system, item), appends to the results log, resumes after a torn last line, retries failures,
// and aggregates; the model-based metrics are wired through fakes.
using System.Text;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;

namespace RagTune.Eval.Tests.Running;

public sealed class EvaluationRunnerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ragtune-eval-{Guid.NewGuid():N}");

    public EvaluationRunnerTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static List<EvalItem> Items(int n) => Enumerable.Range(0, n).Select(i => new EvalItem(
        $"q{i}", i % 2 == 0 ? $"What is fact {i}?" : $"事实{i}是什么？", [i % 2 == 0 ? $"answer {i}" : $"答案{i}"],
        [new EvalDocument($"q{i}#0", $"Distractor text {i}."), new EvalDocument($"q{i}#1", i % 2 == 0 ? $"The fact: answer {i}." : $"事实是答案{i}。", IsOracle: true)])).ToList();

    [Fact]
    public async Task ScoresEverySystemAndItemAndAggregates()
    {
        var ct = TestContext.Current.CancellationToken;
        var items = Items(6);
        var perfect = new ScriptedSystem("perfect", it => $"##begin_quote##{it.Documents[1].Text}##end_quote## <ANSWER>: {it.Answers[0]}");
        var wrong = new ScriptedSystem("wrong", _ => "no idea");
        var embedder = new FakeEmbeddingGenerator();
        var runner = new EvaluationRunner(new EvaluationRunnerOptions
        {
            MaxConcurrency = 3,
            Seed = 3,
            Similarity = new SemanticSimilarity(embedder),
            Judge = new LlmJudge(new FakeChatClient((_, _) => """{"reasoning": "fine", "score": 5}""")),
        });
        var run = await runner.RunAsync(items, [perfect, wrong], ct);
        Assert.Equal(12, run.Results.Count);
        Assert.Equal(["perfect", "wrong"], run.Summaries.Select(s => s.System));
        var p = run.Summaries[0].Metrics;
        Assert.Equal(1.0, p[MetricNames.ExactMatch].Mean);
        Assert.Equal(1.0, p[MetricNames.F1].Mean);
        Assert.Equal(6, p[MetricNames.ExactMatch].Count);
        Assert.Equal(1.0, p[MetricNames.CitationSupport].Mean);
        Assert.Equal(1.0, p[MetricNames.Contains].Mean);
        Assert.Equal(1.0, p[MetricNames.RetrievalRecall].Mean);
        Assert.Equal(1.0, p[MetricNames.SemanticSimilarity].Mean, 9);
        // All 12 answers embedded in one batched call: 6 gold answers (= the perfect answers) + "no idea".
        Assert.Equal([7], embedder.BatchSizes);
        Assert.Equal(5.0, p[MetricNames.JudgeFaithfulness].Mean);
        Assert.Equal((1.0, 1.0), (p[MetricNames.ExactMatch].CiLow!.Value, p[MetricNames.ExactMatch].CiHigh!.Value));
        var w = run.Summaries[1].Metrics;
        Assert.Equal(0.0, w[MetricNames.ExactMatch].Mean);
        Assert.False(w.ContainsKey(MetricNames.CitationSupport)); // no quotes → not applicable
        // Chinese items use CMRC scoring for the headline EM/F1, English ones SQuAD.
        var zh = run.Results.First(r => r.System == "perfect" && r.ItemId == "q1");
        Assert.Equal(zh.Metrics[MetricNames.CmrcF1], zh.Metrics[MetricNames.F1]);
        Assert.Equal("fine", zh.Judge![MetricNames.JudgeRelevance].Reasoning);
    }

    [Fact]
    public async Task ResumesAfterATornLastLineAndSkipsFinishedWork()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "results.jsonl");
        var items = Items(5);
        var first = new ScriptedSystem("sys", it => $"<ANSWER>: {it.Answers[0]}");
        await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path, MaxConcurrency = 1 }).RunAsync(items, [first], ct);
        Assert.Equal(5, first.Calls);
        var lines = File.ReadAllLines(path);
        Assert.Equal(5, lines.Length);

        // Simulate a kill mid-write: cut the file in the middle of its last line.
        var bytes = File.ReadAllBytes(path);
        int lastStart = Array.LastIndexOf(bytes, (byte)'\n', bytes.Length - 2) + 1;
        File.WriteAllBytes(path, bytes.AsSpan(0, lastStart + (bytes.Length - lastStart) / 2).ToArray());
        using var last = System.Text.Json.JsonDocument.Parse(lines[^1]);
        var tornId = last.RootElement.GetProperty("item_id").GetString()!;

        var second = new ScriptedSystem("sys", it => $"<ANSWER>: {it.Answers[0]}");
        var run = await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path }).RunAsync(items, [second], ct);
        Assert.Equal([tornId], second.Answered);
        Assert.Equal(5, run.Results.Count);
        Assert.All(run.Results, r => Assert.Equal(1.0, r.Metrics[MetricNames.ExactMatch]));
        // The torn fragment was cut off: every line parses and there are exactly five.
        Assert.Equal(5, File.ReadAllLines(path).Length);

        var third = new ScriptedSystem("sys", _ => "unused");
        await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path }).RunAsync(items, [third], ct);
        Assert.Equal(0, third.Calls);
    }

    // Issue 16 item 5: an errored item counted as 0 in the means (470 of 10,570 in one run). Now it carries no metrics,
    // is left out of every mean, is counted beside each figure, and a rerun asks only it again.
    [Fact]
    public async Task FailuresAreLeftOutOfTheMeansCountedBesideThemAndRetried()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "results.jsonl");
        var items = Items(4);
        var flaky = new ScriptedSystem("flaky", it => it.Answers[0], fail: it => it.Id == "q2");
        var run = await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path }).RunAsync(items, [flaky], ct);
        var failed = run.Results.Single(r => r.ItemId == "q2");
        Assert.Contains("backend down for q2", failed.Error);
        Assert.Empty(failed.Metrics);
        Assert.Equal(1, run.Summaries[0].Errors);
        var em = run.Summaries[0].Metrics[MetricNames.ExactMatch];
        Assert.Equal((1.0, 3, 1), (em.Mean, em.Count, em.Errors));
        Assert.Contains("1.000 [1.000,1.000] (1 error)", RagTune.Eval.Reports.TextTableReport.Render(run));
        Assert.Contains("<span class=\"errors\">(1 error)</span>", RagTune.Eval.Reports.HtmlReport.Render(run));
        Assert.Contains("\"errors\": 1", RagTune.Eval.Reports.JsonReport.Render(run));

        var healed = new ScriptedSystem("flaky", it => it.Answers[0]);
        var rerun = await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path }).RunAsync(items, [healed], ct);
        Assert.Equal(["q2"], healed.Answered);
        Assert.Equal(0, rerun.Summaries[0].Errors);
        Assert.Equal((1.0, 4, 0), (rerun.Summaries[0].Metrics[MetricNames.ExactMatch].Mean, rerun.Summaries[0].Metrics[MetricNames.ExactMatch].Count,
            rerun.Summaries[0].Metrics[MetricNames.ExactMatch].Errors));
    }

    [Fact]
    public async Task FailedJudgeVerdictsAreCountedBesideTheJudgeFigures()
    {
        var ct = TestContext.Current.CancellationToken;
        int n = 0;
        var judge = new LlmJudge(new FakeChatClient((_, _) => Interlocked.Increment(ref n) % 2 == 0 ? "no score here" : """{"reasoning": "ok", "score": 4}"""),
            new LlmJudgeOptions { MaxAttempts = 1 });
        var run = await new EvaluationRunner(new EvaluationRunnerOptions { Judge = judge, MaxConcurrency = 1 })
            .RunAsync(Items(4), [new ScriptedSystem("s", it => it.Answers[0])], ct);
        var relevance = run.Summaries[0].Metrics[MetricNames.JudgeRelevance];
        var faithfulness = run.Summaries[0].Metrics[MetricNames.JudgeFaithfulness];
        Assert.Equal(8, relevance.Count + relevance.Errors + faithfulness.Count + faithfulness.Errors);
        Assert.Equal(4, relevance.Errors + faithfulness.Errors);
        Assert.Equal(4.0, relevance.Count > 0 ? relevance.Mean : faithfulness.Mean);
        Assert.Equal(0, run.Summaries[0].Metrics[MetricNames.ExactMatch].Errors);
    }

    [Fact]
    public async Task AFailingMetricServiceLeavesAWarningNotAFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await new EvaluationRunner(new EvaluationRunnerOptions { Similarity = new SemanticSimilarity(new FakeEmbeddingGenerator(fail: true)) })
            .RunAsync(Items(2), [new ScriptedSystem("s", it => it.Answers[0])], ct);
        Assert.All(run.Results, r =>
        {
            Assert.Null(r.Error);
            Assert.False(r.Metrics.ContainsKey(MetricNames.SemanticSimilarity));
            Assert.Contains("embedding service unavailable", Assert.Single(r.Warnings!));
        });
        Assert.Equal(1.0, run.Summaries[0].Metrics[MetricNames.ExactMatch].Mean);
    }

    [Fact]
    public async Task ARerunFillsInMissingSimilarityWithoutAskingTheSystemAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "results.jsonl");
        var first = new ScriptedSystem("s", it => it.Answers[0]);
        await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path, Similarity = new SemanticSimilarity(new FakeEmbeddingGenerator(fail: true)) })
            .RunAsync(Items(3), [first], ct);
        var second = new ScriptedSystem("s", _ => "unused");
        var run = await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path, Similarity = new SemanticSimilarity(new FakeEmbeddingGenerator()) })
            .RunAsync(Items(3), [second], ct);
        Assert.Equal(0, second.Calls);
        Assert.All(run.Results, r =>
        {
            Assert.Null(r.Warnings);
            Assert.Equal(1.0, r.Metrics[MetricNames.SemanticSimilarity], 9);
        });
        Assert.Equal(9, File.ReadAllLines(path).Length); // 3 answers, 3 with a warning, 3 with the similarity
    }

    [Fact]
    public async Task ResumedResultsAreRescoredAgainstTheCurrentGold()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "results.jsonl");
        var items = Items(2);
        var first = await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path })
            .RunAsync(items, [new ScriptedSystem("s", _ => "<ANSWER>: answer 0")], ct);
        Assert.Equal(1.0, first.Results[0].Metrics[MetricNames.ExactMatch]);
        // The gold answer of q0 is corrected; the stored answer is scored again, the system is not asked.
        var corrected = new List<EvalItem> { new(items[0].Id, items[0].Question, ["answer zero"], items[0].Documents), items[1] };
        var system = new ScriptedSystem("s", _ => "unused");
        var second = await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path }).RunAsync(corrected, [system], ct);
        Assert.Equal(0, system.Calls);
        Assert.Equal(0.0, second.Results[0].Metrics[MetricNames.ExactMatch]);
        Assert.Equal(0.5, second.Results[0].Metrics[MetricNames.SquadF1], 12); // "answer 0" vs "answer zero": P = R = 1/2
    }

    [Fact]
    public async Task CorruptMiddleLineIsAnErrorNamingTheLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "results.jsonl");
        await new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path }).RunAsync(Items(3), [new ScriptedSystem("s", it => it.Answers[0])], ct);
        var lines = File.ReadAllLines(path);
        lines[1] = "{garbage";
        File.WriteAllLines(path, lines, new UTF8Encoding(false));
        var ex = await Assert.ThrowsAsync<EvalException>(() =>
            new EvaluationRunner(new EvaluationRunnerOptions { ResultsPath = path }).RunAsync(Items(3), [new ScriptedSystem("s", it => it.Answers[0])], ct));
        Assert.Contains("results.jsonl:2", ex.Message);
    }

    [Fact]
    public async Task ASecondWriterIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "results.jsonl");
        var (log, existing) = await ResultsLog.OpenAsync(path, ct);
        await using (log)
        {
            Assert.Empty(existing);
            var ex = await Assert.ThrowsAsync<EvalException>(() => ResultsLog.OpenAsync(path, ct));
            Assert.Contains("results.jsonl", ex.Message);
        }
    }

    [Fact]
    public async Task SubsetIsSeededAndNamesMustBeUnique()
    {
        var ct = TestContext.Current.CancellationToken;
        var items = Items(20);
        async Task<List<string>> Pick(int seed) =>
            (await new EvaluationRunner(new EvaluationRunnerOptions { MaxItems = 5, Seed = seed })
                .RunAsync(items, [new ScriptedSystem("s", _ => "x")], ct)).Items.Select(i => i.Id).ToList();
        var a = await Pick(1);
        Assert.Equal(5, a.Count);
        Assert.Equal(a, await Pick(1));
        Assert.NotEqual(a, await Pick(2));
        Assert.Equal(a.OrderBy(id => int.Parse(id[1..])), a); // file order kept
        await Assert.ThrowsAsync<EvalException>(() => new EvaluationRunner().RunAsync(items, [new ScriptedSystem("s", _ => ""), new ScriptedSystem("s", _ => "")], ct));
    }
}
