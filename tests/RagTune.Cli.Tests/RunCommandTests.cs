// `ragtune run pipeline.yaml` through the real command: the teacher is an OpenAI-compatible server on 127.0.0.1 (real HTTP),
// the student the qwen2-tiny fixture. A full run, a rerun that skips everything, changed settings that rerun only the
// stages after them, a child process killed mid-RAFT that resumes from its journal, and bad files that fail clearly.
using System.Text.Json;
using RagTune.Pipeline.Tests;
using RagTune.Raft.Tests.Infrastructure;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class RunCommandTests : IDisposable
{
    private static readonly string[] Stages = ["knowledge_base", "raft", "train", "evaluate"];
    private readonly string _root = Directory.CreateTempSubdirectory("ragtune-run-cli-").FullName;

    public RunCommandTests() => TinyPipeline.WriteDocuments(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Work(params string[] parts) => Path.Combine([_root, "work", .. parts]);

    private string WritePipeline(Uri teacher, int steps = 6, int topK = 2, int concurrency = 2) => new TinyPipeline
    {
        Student = ModelFixtures.Dir("qwen2-tiny"), Teacher = teacher, TeacherConcurrency = concurrency, Steps = steps, CheckpointEvery = 3,
        TopK = topK, Systems = "base, tuned_rag, teacher_rag", MaxItems = 2,
    }.Write(_root);

    private static async Task<CliResult> RunAsync(params string[] args)
    {
        var result = await CliHarness.RunAsync(args, new Dictionary<string, string?> { ["RAGTUNE_TEST_TEACHER_KEY"] = "k-test" },
            TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}\n{result.Stdout}");
        return result;
    }

    private static string[] Skipped(CliResult r) => Stages.Where(s => r.Stderr.Contains($"{s}: up to date, skipped", StringComparison.Ordinal)).ToArray();

    private Dictionary<string, DateTime> StampTimes() => Stages.ToDictionary(s => s, s => File.GetLastWriteTimeUtc(Work("stamps", s + ".done")));

    [Fact]
    public async Task Runs_every_stage_over_http_then_skips_them_then_reruns_only_what_a_setting_affects()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var teacher = await ScriptedOpenAIServer.StartAsync();
        string yaml = WritePipeline(teacher.BaseUrl);
        // One call is rate-limited: the pipeline's teacher honours Retry-After and asks again (one body seen twice below).
        teacher.Enqueue(ScriptedReply.Error(429, retryAfter: "0"));

        var first = await RunAsync("run", yaml);
        Assert.Empty(Skipped(first));
        foreach (var stage in Stages)
            Assert.True(File.Exists(Work("stamps", stage + ".done")), $"no stamp for {stage}");
        Assert.True(Directory.Exists(Work("kb")));
        Assert.NotEmpty(await File.ReadAllLinesAsync(Work("raft", "data", "chat_train.jsonl"), ct));
        Assert.NotEmpty(await File.ReadAllLinesAsync(Work("raft", "data", "eval_test.jsonl"), ct));
        Assert.True(File.Exists(Work("train", "merged", "model.safetensors")));
        string report = Work("report", "report.html");
        Assert.Contains($"Report: {report}", first.Stdout, StringComparison.Ordinal);
        string html = await File.ReadAllTextAsync(report, ct);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        foreach (var system in new[] { "base model, closed-book", "fine-tuned + RAG", "teacher + RAG" })
        {
            Assert.Contains(system, html, StringComparison.Ordinal);
            Assert.Contains(system, first.Stdout, StringComparison.Ordinal);
        }
        string reportJson = await File.ReadAllTextAsync(Work("report", "report.json"), ct);
        using (JsonDocument.Parse(reportJson))
            Assert.Contains("teacher + RAG", reportJson, StringComparison.Ordinal);
        // Every RAFT question and answer, and the teacher_rag answers, went over HTTP to the endpoint in the file.
        var requests = teacher.Requests;
        Assert.Single(requests.GroupBy(r => r.Body), g => g.Count() == 2);
        Assert.All(requests, r => Assert.Equal("teacher-x", r.Model));
        Assert.Contains(requests, r => r.User.Contains("Write 2 different questions", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.User.StartsWith("Question: ", StringComparison.Ordinal));
        Assert.Equal(2, requests.Count(r => r.User.StartsWith("<DOCUMENT>", StringComparison.Ordinal)));

        var times = StampTimes();
        var second = await RunAsync("run", yaml);
        Assert.Equal(Stages, Skipped(second));
        Assert.Equal(requests.Count, teacher.Requests.Count);
        Assert.Equal(times, StampTimes());
        Assert.Contains($"Report: {report}", second.Stdout, StringComparison.Ordinal);

        // evaluate.top_k feeds only the evaluation.
        var third = await RunAsync("run", WritePipeline(teacher.BaseUrl, topK: 1));
        Assert.Equal(["knowledge_base", "raft", "train"], Skipped(third));
        Assert.Contains("evaluate: ", third.Stderr, StringComparison.Ordinal);
        Assert.Equal(times["train"], StampTimes()["train"]);

        // train.steps feeds training and so the evaluation; the knowledge base and the RAFT data stay.
        int before = teacher.Requests.Count;
        var fourth = await RunAsync("run", WritePipeline(teacher.BaseUrl, steps: 4, topK: 1));
        Assert.Equal(["knowledge_base", "raft"], Skipped(fourth));
        Assert.Contains("train: step 4/4", fourth.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(teacher.Requests.Skip(before), r => r.User.Contains("Write 2 different questions", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_child_killed_during_raft_generation_resumes_without_asking_the_teacher_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var teacher = await ScriptedOpenAIServer.StartAsync();
        // One chunk and one request at a time: a chunk is 1 question call + 2 answer calls, so from request 6 on (the 3rd
        // chunk's questions) the server goes silent and the child is killed with two chunks in its journal.
        teacher.Hold = r => r.Index >= 6;
        string yaml = WritePipeline(teacher.BaseUrl, steps: 3, concurrency: 1);
        string journal = Work("raft", "run", "journal.jsonl");
        using (var child = ChildCli.Start("run", yaml))
        {
            await child.WaitUntilAsync(() => teacher.HeldCount >= 1, TimeSpan.FromSeconds(60), "the 3rd chunk of RAFT generation", ct);
            child.Process.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct);
            Assert.Contains($"knowledge_base: {TinyPipeline.DocumentCount} documents indexed", child.Output, StringComparison.Ordinal);
        }
        var finished = ChunkIds(journal);
        Assert.Equal(2, finished.Count);
        Assert.True(File.Exists(Work("stamps", "knowledge_base.done")));
        Assert.False(File.Exists(Work("stamps", "raft.done")));
        var finishedTexts = teacher.Requests.Take(6).Select(r => RaftResponder.QuestionPrompt(r.User)?.Chunk).OfType<string>().ToList();
        Assert.Equal(2, finishedTexts.Count);
        int before = teacher.Requests.Count;

        teacher.Hold = null;
        var resumed = await RunAsync("run", yaml);
        Assert.Equal(["knowledge_base"], Skipped(resumed));
        foreach (var stage in Stages)
            Assert.True(File.Exists(Work("stamps", stage + ".done")), $"no stamp for {stage}");
        Assert.True(File.Exists(Work("report", "report.html")));
        var records = ChunkIds(journal);
        Assert.Equal(finished, records.Take(2));
        Assert.Equal(records.Count, records.Distinct().Count());
        // The resumed generation asked only about the chunks the killed run had not finished, each once.
        var after = teacher.Requests.Skip(before).ToList();
        var askedAgain = after.Select(r => RaftResponder.QuestionPrompt(r.User)?.Chunk).OfType<string>().ToList();
        Assert.Equal(records.Count - 2, askedAgain.Count);
        Assert.Empty(askedAgain.Intersect(finishedTexts));
        Assert.DoesNotContain(after, r => RaftResponder.AnswerPrompt(r.User) is { } a && finishedTexts.Contains(a.Chunk));
    }

    [Fact]
    public async Task Sigterm_during_training_cancels_the_child_and_the_rerun_resumes_from_the_last_checkpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var teacher = await ScriptedOpenAIServer.StartAsync();
        string yaml = WritePipeline(teacher.BaseUrl, steps: 20);
        using (var child = ChildCli.Start("run", yaml))
        {
            string log = Work("train", "run", "train_log.jsonl");
            await child.WaitUntilAsync(() => File.Exists(log) && File.ReadAllLines(log).Length >= 4, TimeSpan.FromSeconds(60), "training step 4", ct);
            child.Terminate();
            int code = await child.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.True(code == 130, $"exit {code}:\n{child.Output}");
            Assert.Contains("SIGTERM received: stopping at the next safe point", child.Output, StringComparison.Ordinal);
            Assert.Contains("ragtune: cancelled", child.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("train: step 20/20", child.Output, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(Work("stamps", "train.done")));
        var killedSteps = TrainLogSteps();
        // The cancelled trainer checkpointed its last completed step, whatever checkpoint_every (3) says.
        int checkpoint = killedSteps.Max();
        Assert.True(checkpoint is >= 4 and < 20, $"expected the log to end between steps 4 and 19, it ends at {checkpoint}");
        Assert.Equal($"step-{checkpoint:D6}", File.ReadAllText(Work("train", "run", "checkpoints", "latest")).Trim());

        var resumed = await RunAsync("run", yaml);
        Assert.Equal(["knowledge_base", "raft"], Skipped(resumed));
        Assert.Contains("train: step 20/20", resumed.Stderr, StringComparison.Ordinal);
        // The rerun's steps continue right after the last step the stopped run completed: none is trained twice.
        var rerunSteps = TrainLogSteps().Skip(killedSteps.Count).ToList();
        Assert.Equal(Enumerable.Range(checkpoint + 1, 20 - checkpoint), rerunSteps);
        Assert.True(File.Exists(Work("report", "report.html")));
    }

    private List<int> TrainLogSteps() =>
        File.ReadAllLines(Work("train", "run", "train_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToList();

    private static List<string> ChunkIds(string journal) =>
        File.ReadAllLines(journal).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("chunk_id").GetString()!).ToList();

    [Fact]
    public async Task A_bad_pipeline_file_fails_with_one_line_naming_the_file_and_the_field()
    {
        string yaml = WritePipeline(new Uri("http://127.0.0.1:9/v1"));
        string text = await File.ReadAllTextAsync(yaml, TestContext.Current.CancellationToken);

        await File.WriteAllTextAsync(yaml, text.Replace("steps: 6", "steps: many", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var r = await CliHarness.RunAsync("run", yaml);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith($"ragtune: error: {yaml}, line ", line, StringComparison.Ordinal);
        Assert.Contains("field 'steps' is 'many': expected a whole number", line, StringComparison.Ordinal);

        await File.WriteAllTextAsync(yaml, text.Replace("top_k: 2", "top_k: 0", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        r = await CliHarness.RunAsync("run", yaml);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"ragtune: error: {yaml}: field 'evaluate.top_k' is 0: expected 1 or more", Assert.Single(r.ErrorLines));

        await File.WriteAllTextAsync(yaml, text.Replace("    endpoint: http://127.0.0.1:9/v1\n", "", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        r = await CliHarness.RunAsync("run", yaml);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"ragtune: error: {yaml}: field 'raft.teacher.endpoint' is missing", Assert.Single(r.ErrorLines), StringComparison.Ordinal);

        string missing = Path.Combine(_root, "nope.yaml");
        r = await CliHarness.RunAsync("run", missing);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"pipeline file '{missing}' does not exist", Assert.Single(r.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Work()), "a bad file must not start any stage");
    }

    [Fact]
    public async Task The_documented_ollama_sample_loads_and_validates()
    {
        string md = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "pipeline.md"), TestContext.Current.CancellationToken);
        int start = md.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        string yaml = Path.Combine(_root, "pipeline.yaml");
        await File.WriteAllTextAsync(yaml, md[start..md.IndexOf("```", start, StringComparison.Ordinal)], TestContext.Current.CancellationToken);
        string student = Path.Combine(_root, "models", "Qwen2.5-0.5B-Instruct");
        ModelFixtures.CopyTo("qwen2-tiny", student);

        var r = await RunAsync("run", "--check", yaml);
        Assert.Contains($"{yaml}: valid", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("teacher:   qwen2.5:7b at http://localhost:11434/v1", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"student:   {student} (LoRA rank 8, 300 steps)", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"work_dir:  {Path.Combine(_root, ".ragtune-pipeline")}", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("evaluate:  base, base_rag, tuned, tuned_rag, teacher_rag", r.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, ".ragtune-pipeline")), "--check must not run anything");
    }
}
