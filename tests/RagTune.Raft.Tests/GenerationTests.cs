// RAFT generation end to end through the SDK and the scripted server: happy path, quality gate, costs, budget, resume, settings hash.
using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.AI;
using RagTune.Raft.Clients;
using RagTune.Raft.Costs;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Runs;
using RagTune.Raft.Sources;
using RagTune.Raft.Teachers;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class GenerationTests
{
    private static readonly PriceTable Prices = new([new("teacher-x", new ModelPrice(1.25m, 10m)), new("fake-teacher", new ModelPrice(1000m, 0m))]);

    private static ChatClientTeacher ServerTeacher(ScriptedOpenAIServer s, bool stream = false) =>
        OpenAITeacher.Create(new OpenAITeacherOptions { Endpoint = s.BaseUrl, ApiKey = "k", Model = "teacher-x", Stream = stream },
            new ResilienceOptions { MaxConcurrency = 4, InitialBackoff = TimeSpan.FromMilliseconds(10) });

    private static List<RaftChunkRecord> Journal(string run) =>
        Journal<RaftChunkRecord>.ReadAll(Path.Combine(run, RunDirectory.JournalFile), RaftJson.Lines);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Happy_path_through_the_sdk_journals_every_chunk_with_exact_costs(bool stream)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var server = await ScriptedOpenAIServer.StartAsync();
        var chunks = TestCorpus.English(4, 3);
        var options = new RaftOptions { QuestionsPerChunk = 3, Distractors = 2, TestFraction = 0.25 };
        var progress = new List<RaftProgress>();
        var result = await new RaftGenerator(ServerTeacher(server, stream), options, Prices)
            .RunAsync(chunks, dir.Path, new RaftRunOptions { Progress = new SyncProgress(progress) }, ct);

        Assert.Equal(RaftStopReason.Completed, result.StopReason);
        Assert.Equal((12, 12, 36, 36), (result.ChunksTotal, result.ChunksDone, result.Examples, result.Questions));
        Assert.Empty(result.Dropped);
        Assert.Equal(48, result.Calls);
        Assert.Equal(48, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(stream, r.Stream));
        // 48 calls × (100 input × $1.25 + 20 output × $10) / 1M = 48 × $0.000325.
        Assert.Equal(0.0156m, result.CostUsd);
        Assert.Equal((4800L, 960L), (result.InputTokens, result.OutputTokens));
        var journal = Journal(dir.Path);
        Assert.Equal(chunks.Select(c => c.Id).Order(), journal.Select(r => r.ChunkId).Order());
        Assert.Equal(0.0156m, journal.Sum(r => r.CostUsd));
        var examples = journal.SelectMany(r => r.Examples).ToList();
        Assert.Equal(9, examples.Count(e => e.Split == "test"));
        Assert.All(examples, e =>
        {
            Assert.True(CotQualityGate.Check(e.CotAnswer, e.OracleContext, options).Passed);
            Assert.Equal(3, e.Documents.Count);
            Assert.Equal(e.OracleIncluded, e.Documents.Contains(e.OracleContext));
            Assert.Equal("en", e.Language);
        });
        Assert.Equal(12, progress[^1].Done);
        Assert.Equal(36, progress[^1].Examples);
        Assert.Equal(0.0156m, progress[^1].CostUsd);
        Assert.NotNull(progress[^1].Eta);
    }

    [Fact]
    public async Task Malformed_answers_are_retried_then_dropped_and_counted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var attempts = new ConcurrentDictionary<string, int>();
        await using var server = await ScriptedOpenAIServer.StartAsync(r =>
        {
            if (RaftResponder.QuestionPrompt(r.User) is { } q)
            {
                var lines = Enumerable.Range(1, 3).Select(i => RaftResponder.QuestionFor(q.Chunk, i)).Append(RaftResponder.QuestionFor(q.Chunk, 1));
                return ScriptedReply.Text(string.Join("\n", lines));
            }
            var (question, chunk) = RaftResponder.AnswerPrompt(r.User)!.Value;
            var n = attempts.AddOrUpdate(question, 1, (_, v) => v + 1);
            var good = RaftResponder.GoodAnswer(question, chunk);
            var invented = "##begin_quote##The moon is made of cheese.##end_quote##\n<ANSWER>: cheese";
            return ScriptedReply.Text(question.Contains("point 1") ? n switch { 1 => "I think it is 12 bar.", 2 => invented, _ => good }
                : question.Contains("point 2") ? "" : invented);
        });
        var chunks = TestCorpus.English(3, 1);
        var options = new RaftOptions { QuestionsPerChunk = 3, Distractors = 1, OracleProbability = 1.0, MaxAnswerAttempts = 3 };
        var result = await new RaftGenerator(ServerTeacher(server), options, Prices).RunAsync(chunks, dir.Path, null, ct);

        Assert.Equal(3, result.Examples);
        Assert.Equal(new Dictionary<string, int> { ["empty"] = 3, ["invented_quote"] = 3 }, result.Dropped);
        Assert.Equal(3 * (2 + 3 + 3), result.RejectedAnswers);
        Assert.Equal(3, result.DuplicateQuestions);
        Assert.Equal(3 * (1 + 3 + 3 + 3), result.Calls);
        Assert.All(Journal(dir.Path).SelectMany(r => r.Examples), e => Assert.Contains("point 1", e.Question));
    }

    [Fact]
    public async Task Rate_limits_server_errors_and_timeouts_during_a_run_cost_nothing_in_the_data()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var server = await ScriptedOpenAIServer.StartAsync();
        var teacher = OpenAITeacher.Create(new OpenAITeacherOptions { Endpoint = server.BaseUrl, ApiKey = "k", Model = "teacher-x" },
            new ResilienceOptions { MaxConcurrency = 1, InitialBackoff = TimeSpan.FromMilliseconds(5), RequestTimeout = TimeSpan.FromSeconds(1.5) });
        // Warm the JIT and the connection first: on a loaded machine a cold first call can itself run past 1.5 s.
        await teacher.CompleteAsync(new TeacherRequest([new TeacherMessage(TeacherRole.User, "warm up")]), ct);
        var resilience = teacher.Client.GetService<ResilientChatClient>()!;
        var (retries, timeouts, requests) = (resilience.Retries, resilience.Timeouts, server.Requests.Count);
        server.Enqueue(ScriptedReply.Error(429, retryAfter: "0"));
        server.Enqueue(ScriptedReply.Error(500));
        server.Enqueue(ScriptedReply.Text("late") with { Delay = TimeSpan.FromSeconds(5) });
        var options = new RaftOptions { QuestionsPerChunk = 2, Distractors = 2, ChunkConcurrency = 1 };
        var result = await new RaftGenerator(teacher, options, Prices).RunAsync(TestCorpus.English(4, 1), dir.Path, null, ct);
        Assert.Equal((4, 8), (result.ChunksDone, result.Examples));
        Assert.Equal(12, result.Calls); // only answered calls are counted and priced
        Assert.Equal(requests + 15, server.Requests.Count);
        Assert.Equal((retries + 3, timeouts + 1), (resilience.Retries, resilience.Timeouts));
    }

    [Fact]
    public async Task A_chunk_without_usable_questions_is_recorded_as_such()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var teacher = new FakeTeacher(r => r.Messages.Last().Content.Contains("Passage:") ? "Here are the questions:" : "");
        var result = await new RaftGenerator(teacher, new RaftOptions { Distractors = 1, MaxQuestionAttempts = 2 }).RunAsync(TestCorpus.English(3, 1), dir.Path, null, ct);
        Assert.Equal((3, 0, 6), (result.ChunksDone, result.Examples, (int)result.Calls));
        Assert.Equal(new Dictionary<string, int> { ["no_questions"] = 3 }, result.Dropped);
    }

    [Fact]
    public async Task Chinese_chunks_get_chinese_prompts_and_questions()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var teacher = new FakeTeacher();
        var chunks = TestCorpus.Chinese(3, 1).Concat(TestCorpus.English(2, 1)).ToList();
        var result = await new RaftGenerator(teacher, new RaftOptions { QuestionsPerChunk = 2, Distractors = 2 }).RunAsync(chunks, dir.Path, null, ct);
        Assert.Equal(10, result.Examples);
        var zhRequests = teacher.Requests.Where(r => r.Messages.Last().Content.Contains("记录")).ToList();
        Assert.Equal(3 * 3, zhRequests.Count);
        Assert.All(zhRequests, r => Assert.True(r.Messages.Last().Content.Contains("文档内容") || r.Messages.Last().Content.Contains("参考内容")));
        Assert.Contains(zhRequests, r => r.Messages[0].Content == RaftPrompts.BuiltIn.SystemZh);
        var examples = Journal(dir.Path).SelectMany(r => r.Examples).ToList();
        Assert.All(examples.Where(e => e.ChunkId.StartsWith("zh")), e => Assert.Equal("zh", e.Language));
        Assert.All(examples.Where(e => e.ChunkId.StartsWith("zh")), e => Assert.EndsWith("？", e.Question));
    }

    [Fact]
    public async Task Budget_cap_stops_cleanly_and_the_rerun_finishes_without_repeating_calls()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var teacher = new FakeTeacher();
        var chunks = TestCorpus.English(4, 2);
        var options = new RaftOptions { QuestionsPerChunk = 2, Distractors = 2, ChunkConcurrency = 1 };
        // Each call costs 100 × $1000 / 1M = $0.10; a chunk is 3 calls.
        var first = await new RaftGenerator(teacher, options, Prices).RunAsync(chunks, dir.Path, new RaftRunOptions { MaxCostUsd = 0.9m }, ct);
        Assert.Equal(RaftStopReason.BudgetReached, first.StopReason);
        Assert.Equal(3, first.ChunksDone);
        Assert.Equal(0.9m, first.CostUsd);
        Assert.Equal(9, teacher.Requests.Count);

        var second = await new RaftGenerator(teacher, options, Prices).RunAsync(chunks, dir.Path, null, ct);
        Assert.Equal(RaftStopReason.Completed, second.StopReason);
        Assert.Equal((8, 3, 16), (second.ChunksDone, second.ChunksResumed, second.Examples));
        Assert.Equal(15, second.CallsThisSession);
        Assert.Equal(24, teacher.Requests.Count);
        Assert.Equal(2.4m, second.CostUsd);
        Assert.Equal(8, Journal(dir.Path).Select(r => r.ChunkId).Distinct().Count());
    }

    [Fact]
    public async Task Cancelled_run_resumes_without_asking_again_about_finished_chunks()
    {
        using var dir = new TempDir();
        var chunks = TestCorpus.English(5, 2);
        var options = new RaftOptions { QuestionsPerChunk = 2, Distractors = 2, ChunkConcurrency = 2 };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var first = new FakeTeacher();
        var progress = new SyncProgress(p =>
        {
            if (p.Done >= 3)
                cts.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new RaftGenerator(first, options).RunAsync(chunks, dir.Path, new RaftRunOptions { Progress = progress }, cts.Token));
        var finished = Journal(dir.Path).Select(r => r.ChunkId).ToHashSet();
        Assert.InRange(finished.Count, 3, 9);

        var second = new FakeTeacher();
        var result = await new RaftGenerator(second, options).RunAsync(chunks, dir.Path, null, TestContext.Current.CancellationToken);
        Assert.Equal(10, result.ChunksDone);
        Assert.Equal(20, result.Examples);
        var finishedTexts = chunks.Where(c => finished.Contains(c.Id)).Select(c => c.Text).ToList();
        Assert.DoesNotContain(second.Requests, r => finishedTexts.Any(t => r.Messages.Last().Content.Contains(t)));
        Assert.Equal(3 * (10 - finished.Count), second.Requests.Count);
        Assert.Equal(20, RaftDataset.Load(dir.Path).Examples.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_torn_last_journal_line_is_dropped_and_its_chunk_redone()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var chunks = TestCorpus.English(3, 2);
        var options = new RaftOptions { QuestionsPerChunk = 2, Distractors = 2, ChunkConcurrency = 1 };
        await new RaftGenerator(new FakeTeacher(), options, Prices).RunAsync(chunks, dir.Path, new RaftRunOptions { MaxCostUsd = 0.6m }, ct);
        var journalPath = Path.Combine(dir.Path, RunDirectory.JournalFile);
        var lines = await File.ReadAllLinesAsync(journalPath, ct);
        Assert.Equal(2, lines.Length);
        // Simulate kill -9 in the middle of writing the third chunk's line.
        var third = JsonSerializer.Serialize(new RaftChunkRecord { ChunkIndex = 2, ChunkId = chunks[2].Id, Examples = [] }, RaftJson.Lines);
        await File.AppendAllTextAsync(journalPath, third[..(third.Length / 2)], ct);

        var teacher = new FakeTeacher();
        var result = await new RaftGenerator(teacher, options, Prices).RunAsync(chunks, dir.Path, null, ct);
        Assert.Equal((6, 2, 12), (result.ChunksDone, result.ChunksResumed, result.Examples));
        Assert.Equal(12, teacher.Requests.Count);
        var journal = Journal(dir.Path);
        Assert.Equal(chunks.Select(c => c.Id).Order(), journal.Select(r => r.ChunkId).Order());
        Assert.All(await File.ReadAllLinesAsync(journalPath, ct), l => JsonDocument.Parse(l));
    }

    [Fact]
    public async Task A_corrupt_line_before_the_end_is_an_error_naming_the_line()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var chunks = TestCorpus.English(3, 1);
        var options = new RaftOptions { QuestionsPerChunk = 1, Distractors = 1 };
        await new RaftGenerator(new FakeTeacher(), options).RunAsync(chunks, dir.Path, null, ct);
        var journalPath = Path.Combine(dir.Path, RunDirectory.JournalFile);
        var lines = (await File.ReadAllLinesAsync(journalPath, ct)).ToList();
        lines.Insert(1, "{not json");
        await File.WriteAllLinesAsync(journalPath, lines, ct);
        var ex = await Assert.ThrowsAsync<RaftException>(() => new RaftGenerator(new FakeTeacher(), options).RunAsync(chunks, dir.Path, null, ct));
        Assert.Contains("journal.jsonl:2", ex.Message);
    }

    [Fact]
    public async Task Different_settings_are_refused_unless_forced()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var chunks = TestCorpus.English(3, 1);
        await new RaftGenerator(new FakeTeacher(), new RaftOptions { QuestionsPerChunk = 1, Distractors = 1, Seed = 1 }).RunAsync(chunks, dir.Path, null, ct);
        var changed = new RaftOptions { QuestionsPerChunk = 1, Distractors = 1, Seed = 2 };
        var ex = await Assert.ThrowsAsync<RaftException>(() => new RaftGenerator(new FakeTeacher(), changed).RunAsync(chunks, dir.Path, null, ct));
        Assert.Contains("seed: 1 → 2", ex.Message);
        Assert.Contains("--force", ex.Message);
        // Budget and concurrency are not part of the settings: changing them resumes.
        var resumed = await new RaftGenerator(new FakeTeacher(), new RaftOptions { QuestionsPerChunk = 1, Distractors = 1, Seed = 1, ChunkConcurrency = 1 })
            .RunAsync(chunks, dir.Path, new RaftRunOptions { MaxCostUsd = 5 }, ct);
        Assert.Equal(3, resumed.ChunksResumed);

        var teacher = new FakeTeacher();
        var forced = await new RaftGenerator(teacher, changed).RunAsync(chunks, dir.Path, new RaftRunOptions { Force = true }, ct);
        Assert.Equal((3, 0), (forced.ChunksDone, forced.ChunksResumed));
        Assert.Equal(6, teacher.Requests.Count);
        Assert.Single(Directory.GetFiles(dir.Path, "journal.*.jsonl.bak"));
    }

    [Fact]
    public async Task Same_seed_and_replies_give_the_same_dataset_whatever_the_completion_order()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var chunks = TestCorpus.English(6, 3);
        RaftOptions Options(int concurrency, ulong seed = 7) => new() { QuestionsPerChunk = 3, Distractors = 3, Seed = seed, ChunkConcurrency = concurrency };
        await new RaftGenerator(new FakeTeacher(), Options(1)).RunAsync(chunks, a.Path, null, ct);
        await new RaftGenerator(new FakeTeacher(), Options(8)).RunAsync(chunks, b.Path, null, ct);
        await new RaftGenerator(new FakeTeacher(), Options(8, seed: 8)).RunAsync(chunks, c.Path, null, ct);
        var exportOptions = new RaftExportOptions { Formats = RaftExportFormats.Raft };
        await RaftExporter.ExportAsync(a.Path, a["out"], exportOptions, ct);
        await RaftExporter.ExportAsync(b.Path, b["out"], exportOptions, ct);
        await RaftExporter.ExportAsync(c.Path, c["out"], exportOptions, ct);
        var ra = await File.ReadAllTextAsync(Path.Combine(a["out"], "raft_train.jsonl"), ct);
        Assert.Equal(ra, await File.ReadAllTextAsync(Path.Combine(b["out"], "raft_train.jsonl"), ct));
        Assert.NotEqual(ra, await File.ReadAllTextAsync(Path.Combine(c["out"], "raft_train.jsonl"), ct));
    }

    [Fact]
    public async Task Prompts_can_be_overridden_from_a_file()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir["prompts.json"], """{"questions_en": "LIST {count} QUESTIONS FOR:\n{chunk}"}""", ct);
        var prompts = RaftPrompts.Load(dir["prompts.json"]);
        Assert.Equal(RaftPrompts.BuiltIn.AnswerEn, prompts.AnswerEn);
        var teacher = new FakeTeacher(r => r.Messages.Last().Content.StartsWith("LIST 2 QUESTIONS FOR:\n") ? "Alpha question?\nBeta question?"
            : RaftResponder.Reply("", r.Messages.Last().Content));
        var chunks = TestCorpus.English(3, 1);
        var result = await new RaftGenerator(teacher, new RaftOptions { QuestionsPerChunk = 2, Distractors = 1, Prompts = prompts }).RunAsync(chunks, dir["run"], null, ct);
        Assert.Equal((6, 4), (result.Examples, result.CrossChunkDuplicates));
        // Every chunk got the same two questions: the dataset keeps the first chunk's.
        var dataset = RaftDataset.Load(dir["run"]);
        Assert.Equal(4, dataset.DuplicatesRemoved);
        Assert.Equal(["Alpha question?", "Beta question?"], dataset.Examples.Select(e => e.Question));

        await File.WriteAllTextAsync(dir["bad.json"], """{"question_en": "x"}""", ct);
        Assert.Contains("unknown key 'question_en'", Assert.Throws<RaftException>(() => RaftPrompts.Load(dir["bad.json"])).Message);
    }

    [Fact]
    public async Task Too_few_other_documents_for_the_distractors_is_a_clear_error()
    {
        using var dir = new TempDir();
        var ex = await Assert.ThrowsAsync<RaftException>(() =>
            new RaftGenerator(new FakeTeacher(), new RaftOptions { Distractors = 4 }).RunAsync(TestCorpus.English(3, 2), dir.Path, null, TestContext.Current.CancellationToken));
        Assert.Contains("needs 5 distractors", ex.Message);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and arrive late).</summary>
    private sealed class SyncProgress(Action<RaftProgress> report) : IProgress<RaftProgress>
    {
        public SyncProgress(List<RaftProgress> sink) : this(p => { lock (sink) sink.Add(p); }) { }

        public void Report(RaftProgress value) => report(value);
    }
}
