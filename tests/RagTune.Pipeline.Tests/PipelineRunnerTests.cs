// `ragtune run` end to end on tiny settings: a scripted teacher, the qwen2-tiny fixture as student, a few training steps;
// stamps skip current stages, a changed setting reruns its stage and those after it, a cancelled training resumes.
using RagTune.Eval;
using RagTune.Eval.Metrics;
using RagTune.Eval.Reports;
using RagTune.Eval.Tests;
using RagTune.Pipeline;

namespace RagTune.Pipeline.Tests;

public sealed class PipelineRunnerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ragtune-pipeline-" + Guid.NewGuid().ToString("N"));
    private static readonly string Student = Path.Combine(AppContext.BaseDirectory, "TestData", "models", "qwen2-tiny");
    private static readonly string Embedder = Path.Combine(AppContext.BaseDirectory, "TestData", "models", "bert-tiny-cls");

    public PipelineRunnerTests() => TinyPipeline.WriteDocuments(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    private string WritePipeline(int steps = 20, int topK = 2, string? embedModel = null) =>
        new TinyPipeline { Student = Student, Steps = steps, TopK = topK, EmbedModel = embedModel }.Write(_root);

    private static async Task<PipelineResult> RunAsync(string yaml, FakeChatClient teacher, IProgress<string>? progress = null, CancellationToken ct = default) =>
        await new PipelineRunner(PipelineFile.Load(yaml), new PipelineRunnerOptions { Teacher = teacher, TeacherName = "scripted", Progress = progress }).RunAsync(ct);

    private static StageOutcome[] Outcomes(PipelineResult r) =>
        [r.Stages["knowledge_base"], r.Stages["raft"], r.Stages["train"], r.Stages["evaluate"]];

    [Fact]
    public async Task Runs_end_to_end_then_skips_then_reruns_from_a_changed_stage()
    {
        var ct = TestContext.Current.CancellationToken;
        var teacher = ScriptedTeacher.Create();
        var first = await RunAsync(WritePipeline(embedModel: Embedder), teacher, ct: ct);
        Assert.Equal([StageOutcome.Ran, StageOutcome.Ran, StageOutcome.Ran, StageOutcome.Ran], Outcomes(first));
        // Retrieval is scored against the knowledge-base chunk each question was written from (the *_rag systems only),
        // and semantic_sim through the embedding model; both reach the report and the console table.
        var report = await JsonReport.ReadAsync(first.JsonPath, ct);
        foreach (var s in report.Summaries)
        {
            bool rag = s.System.EndsWith("+ RAG", StringComparison.Ordinal);
            foreach (var name in MetricNames.Retrieval) Assert.Equal(rag, s.Metrics.ContainsKey(name));
            Assert.True(s.Metrics.ContainsKey(MetricNames.SemanticSimilarity), s.System);
        }
        Assert.True(report.Summaries.Single(s => s.System == "base model + RAG").Metrics[MetricNames.RetrievalRecall].Mean > 0);
        Assert.All(report.Items, it => Assert.Single(it.OracleIds));
        foreach (var column in new[] { "semantic_sim", "retrieval_recall", "retrieval_mrr", "retrieval_ndcg", "retrieval_map" })
            Assert.Contains(column, first.Table);
        string html = await File.ReadAllTextAsync(first.ReportPath, ct);
        foreach (var system in new[] { "base model, closed-book", "base model + RAG", "fine-tuned, closed-book", "fine-tuned + RAG", "teacher + RAG" })
        {
            Assert.Contains(system, html);
            Assert.Contains(system, first.Table);
        }
        Assert.Contains("<svg", html);
        Assert.True(File.Exists(Path.Combine(_root, "work", "train", "merged", "model.safetensors")));
        int teacherCalls = teacher.Calls;

        var second = await RunAsync(WritePipeline(embedModel: Embedder), teacher, ct: ct);
        Assert.Equal([StageOutcome.Skipped, StageOutcome.Skipped, StageOutcome.Skipped, StageOutcome.Skipped], Outcomes(second));
        Assert.Equal(teacherCalls, teacher.Calls);
        Assert.Equal(first.Table, second.Table);

        // Only evaluation depends on top_k.
        var third = await RunAsync(WritePipeline(topK: 1), teacher, ct: ct);
        Assert.Equal([StageOutcome.Skipped, StageOutcome.Skipped, StageOutcome.Skipped, StageOutcome.Ran], Outcomes(third));

        // A changed document reruns everything; the RAFT journal re-asks the teacher only about the changed chunks.
        File.AppendAllText(Path.Combine(_root, "docs", "device0.txt"), "The Aldor pump was repainted green in 2020.\n");
        var fourth = await RunAsync(WritePipeline(topK: 1), teacher, ct: ct);
        Assert.Equal([StageOutcome.Ran, StageOutcome.Ran, StageOutcome.Ran, StageOutcome.Ran], Outcomes(fourth));
        Assert.True(teacher.Calls > teacherCalls);
    }

    [Fact]
    public async Task With_a_reranker_every_rag_system_is_scored_without_and_with_reranking()
    {
        var ct = TestContext.Current.CancellationToken;
        string reranker = Path.Combine(AppContext.BaseDirectory, "TestData", "models", "bert-tiny-reranker");
        string yaml = new TinyPipeline { Student = Student, Steps = 2, CheckpointEvery = 2, Systems = "base, base_rag", Reranker = reranker }.Write(_root);
        var result = await RunAsync(yaml, ScriptedTeacher.Create(), ct: ct);

        var kbJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_root, "work", "kb", "kb.json")))!;
        Assert.Equal(reranker, kbJson["reranker"]!["model_directory"]!.GetValue<string>());
        var run = await JsonReport.ReadAsync(result.JsonPath, ct);
        Assert.Equal(["base model, closed-book", "base model + RAG", "base model + RAG + rerank"], run.Summaries.Select(s => s.System));
        foreach (var system in run.Summaries.Skip(1))
            Assert.True(MetricNames.Retrieval.All(system.Metrics.ContainsKey), $"{system.System}: {string.Join(", ", system.Metrics.Keys)}");
        Assert.Contains("+ rerank", result.Table);
    }

    [Fact]
    public async Task With_a_document_route_every_rag_system_is_scored_flat_and_hierarchical()
    {
        var ct = TestContext.Current.CancellationToken;
        string yaml = new TinyPipeline { Student = Student, Steps = 2, CheckpointEvery = 2, Systems = "base, base_rag", DocRoute = "summary" }.Write(_root);
        var teacher = ScriptedTeacher.Create();
        var result = await RunAsync(yaml, teacher, ct: ct);

        string kbDir = Path.Combine(_root, "work", "kb");
        var kbJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(kbDir, "kb.json")))!;
        Assert.Equal("summary", kbJson["document_route"]!["kind"]!.GetValue<string>());
        // The teacher wrote one summary per document, journalled beside kb.json.
        Assert.Equal(6, File.ReadAllLines(Path.Combine(kbDir, "summaries.jsonl")).Length);
        var run = await JsonReport.ReadAsync(result.JsonPath, ct);
        Assert.Equal(["base model, closed-book", "base model + RAG", "base model + RAG + hierarchical"], run.Summaries.Select(s => s.System));
        Assert.True(MetricNames.Retrieval.All(run.Summaries[2].Metrics.ContainsKey), string.Join(", ", run.Summaries[2].Metrics.Keys));
    }

    [Fact]
    public void A_document_route_the_pipeline_cannot_build_names_the_field()
    {
        string path = Path.Combine(_root, "bad.yaml");
        File.WriteAllText(path, $"documents: docs\nknowledge_base:\n  doc_route: mean\ntrain:\n  student: {Student}\n");
        var e = Assert.Throws<EvalException>(() => PipelineFile.Load(path));
        Assert.Equal($"{path}: field 'knowledge_base.doc_route' is 'mean': expected first_chunk or summary (mean averages chunk vectors, and the pipeline's knowledge base is BM25 only)", e.Message);
    }

    [Fact]
    public async Task A_training_stage_cancelled_midway_resumes_from_its_checkpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        string yaml = WritePipeline(steps: 20);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cancelAtStep10 = new SyncProgress(line =>
        {
            if (line.StartsWith("train: step 10/", StringComparison.Ordinal)) cts.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(yaml, ScriptedTeacher.Create(), cancelAtStep10, cts.Token));
        Assert.False(File.Exists(Path.Combine(_root, "work", "stamps", "train.done")));
        Assert.True(File.Exists(Path.Combine(_root, "work", "stamps", "raft.done")));

        var lines = new List<string>();
        var resumed = await RunAsync(yaml, ScriptedTeacher.Create(), new SyncProgress(lines.Add), ct);
        Assert.Equal([StageOutcome.Skipped, StageOutcome.Skipped, StageOutcome.Ran, StageOutcome.Ran], Outcomes(resumed));
        // Every step was trained exactly once across the two runs: the second started from the step-10 checkpoint.
        var steps = File.ReadAllLines(Path.Combine(_root, "work", "train", "run", "train_log.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, 20), steps);
        Assert.DoesNotContain(lines, l => l.StartsWith("train: step 10/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("train: step 20/", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_field_names_the_file_the_field_and_what_was_expected()
    {
        string path = Path.Combine(_root, "bad.yaml");
        File.WriteAllText(path, $"documents: docs\ntrain:\n  student: {Student}\n  steps: many\n");
        var e = Assert.Throws<EvalException>(() => PipelineFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 4", e.Message);
        Assert.Contains("field 'steps' is 'many': expected a whole number", e.Message);

        File.WriteAllText(path, $"documents: docs\ntrain:\n  student: {Student}\n  stepz: 3\n");
        e = Assert.Throws<EvalException>(() => PipelineFile.Load(path));
        Assert.Contains("unknown field 'stepz'", e.Message);

        File.WriteAllText(path, $"documents: docs\ntrain:\n  student: {Student}\nevaluate:\n  systems: [base, oracle]\n");
        e = Assert.Throws<EvalException>(() => PipelineFile.Load(path));
        Assert.Equal($"{path}: field 'evaluate.systems' is 'oracle': expected one of base, base_rag, tuned, tuned_rag, teacher_rag", e.Message);

        File.WriteAllText(path, "documents: nowhere\n");
        e = Assert.Throws<EvalException>(() => PipelineFile.Load(path));
        Assert.Contains("field 'documents'", e.Message);
    }

    [Fact]
    public void The_documented_sample_pipeline_parses()
    {
        string md = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "pipeline.md"));
        int start = md.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        string yaml = md[start..md.IndexOf("```", start, StringComparison.Ordinal)];
        Directory.CreateDirectory(Path.Combine(_root, "models", "Qwen2.5-0.5B-Instruct"));
        File.WriteAllText(Path.Combine(_root, "models", "Qwen2.5-0.5B-Instruct", "config.json"), "{}");
        var p = PipelineFile.Parse(yaml, Path.Combine(_root, "pipeline.yaml"));
        Assert.Equal(("http://localhost:11434/v1", "qwen2.5:7b", "OLLAMA_API_KEY"), (p.Raft.Teacher.Endpoint, p.Raft.Teacher.Model, p.Raft.Teacher.ApiKeyEnv));
        Assert.Equal(Path.Combine(_root, "models", "Qwen2.5-0.5B-Instruct"), p.Train.Student);
        Assert.Equal(Path.Combine(_root, ".ragtune-pipeline"), p.WorkDir);
        Assert.Equal(5, p.Evaluate.Systems.Count);
        Assert.Equal(0.8, p.Raft.OracleProbability);
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
