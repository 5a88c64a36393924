// Generates a RAFT dataset chunk by chunk into a resumable run directory: questions, verified CoT answers, oracle + distractor contexts.
using RagTune.Knowledge.Rag;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RagTune.Raft.Costs;
using RagTune.Raft.Runs;
using RagTune.Raft.Sources;
using RagTune.Raft.Teachers;

namespace RagTune.Raft.Generation;

/// <summary>
/// For each chunk not yet in the journal: ask for N questions (in the chunk's language), ask for a CoT answer to each
/// given the oracle chunk, pass every answer through <see cref="CotQualityGate"/> (retry, then drop), assemble each kept
/// question's context with a random stream keyed by seed + chunk id, and append the chunk's examples to the journal in
/// one fsync'd line. Completion order therefore never changes the data; a killed run loses at most the chunks in flight.
/// </summary>
public sealed class RaftGenerator
{
    public const string RunKind = "raft";

    private readonly ITeacher _teacher;
    private readonly RaftOptions _options;
    private readonly PriceTable _prices;
    private readonly IHardNegativeProvider? _hard;

    public RaftGenerator(ITeacher teacher, RaftOptions options, PriceTable? prices = null, IHardNegativeProvider? hardNegatives = null)
    {
        _teacher = teacher ?? throw new ArgumentNullException(nameof(teacher));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        _prices = prices ?? PriceTable.Defaults;
        _hard = hardNegatives;
    }

    public async Task<RaftRunResult> RunAsync(IReadOnlyList<RaftChunk> chunks, string runDirectory, RaftRunOptions? run = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        run ??= new RaftRunOptions();
        CheckChunks(chunks);
        var assembler = new ContextAssembler(chunks, _options, _hard);
        var dir = RunDirectory.Open(runDirectory, RunKind, Settings(chunks), run.Force);
        // The student's prompt contract travels with the data: export, training, evaluation and serving read it back.
        _options.Format.Save(dir.Path);
        using var journal = Journal<RaftChunkRecord>.Open(dir.JournalPath, RaftJson.Lines, out var finished);
        var doneIds = finished.Select(r => r.ChunkId).ToHashSet(StringComparer.Ordinal);
        var testChunks = TestChunks(chunks, _options);
        var meter = new UsageMeter();
        foreach (var r in finished)
            meter.Add(r.Calls, r.InputTokens, r.OutputTokens, r.CostUsd);
        var records = new List<RaftChunkRecord>(finished);
        var pending = Enumerable.Range(0, chunks.Count).Where(i => !doneIds.Contains(chunks[i].Id)).ToList();
        var clock = Stopwatch.StartNew();
        var priorCalls = meter.Calls;
        var doneThisSession = 0;
        Report(run, records, chunks.Count, meter, clock, 0, pending.Count);
        var budgetReached = await WorkLoop.RunAsync(pending, _options.ChunkConcurrency, run.MaxCostUsd, meter, journal,
            (index, token) => NamingChunkAsync(chunks[index], () => ProcessChunkAsync(chunks, index, testChunks.Contains(chunks[index].Id), assembler, meter, token)),
            record =>
            {
                records.Add(record);
                doneThisSession++;
                Report(run, records, chunks.Count, meter, clock, doneThisSession, pending.Count);
            }, cancellationToken).ConfigureAwait(false);

        var dropped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (reason, n) in records.SelectMany(r => r.Dropped))
            dropped[reason] = dropped.GetValueOrDefault(reason) + n;
        return new RaftRunResult
        {
            StopReason = budgetReached && records.Count < chunks.Count ? RaftStopReason.BudgetReached : RaftStopReason.Completed,
            ChunksTotal = chunks.Count,
            ChunksDone = records.Count,
            ChunksResumed = finished.Count,
            Examples = records.Sum(r => r.Examples.Count),
            CrossChunkDuplicates = records.Sum(r => r.Examples.Count) - RaftDataset.Deduplicate(records).Count,
            Questions = records.Sum(r => r.Questions),
            DuplicateQuestions = records.Sum(r => r.DuplicateQuestions),
            RejectedAnswers = records.Sum(r => r.RejectedAnswers),
            Dropped = dropped,
            Calls = meter.Calls,
            InputTokens = meter.InputTokens,
            OutputTokens = meter.OutputTokens,
            CostUsd = meter.CostUsd,
            CallsThisSession = meter.Calls - priorCalls,
        };
    }

    /// <summary>The settings that determine the dataset, hashed into the run directory (budget and concurrency excluded).</summary>
    public JsonObject Settings(IReadOnlyList<RaftChunk> chunks)
    {
        var o = _options;
        return new JsonObject
        {
            ["teacher_model"] = _teacher.ModelName,
            ["questions_per_chunk"] = o.QuestionsPerChunk,
            ["distractors"] = o.Distractors,
            ["oracle_probability"] = o.OracleProbability,
            ["distractor_mode"] = o.DistractorMode.ToString().ToLowerInvariant(),
            ["seed"] = o.Seed,
            ["test_fraction"] = o.TestFraction,
            ["language"] = o.Language?.ToString().ToLowerInvariant() ?? "auto",
            ["temperature"] = o.Temperature,
            ["max_output_tokens"] = o.MaxOutputTokens,
            ["max_question_attempts"] = o.MaxQuestionAttempts,
            ["max_answer_attempts"] = o.MaxAnswerAttempts,
            ["max_final_answer_chars"] = o.MaxFinalAnswerChars,
            ["require_quote"] = o.RequireQuote,
            ["quote_begin"] = o.Format.QuoteBegin,
            ["quote_end"] = o.Format.QuoteEnd,
            ["answer_marker"] = o.Format.AnswerMarker,
            ["document_template"] = o.Format.DocumentTemplate,
            ["instruction_template"] = o.Format.InstructionTemplate,
            ["prompts_sha256"] = Sha256(string.Join("\0", o.Prompts.SystemEn, o.Prompts.QuestionsEn, o.Prompts.AnswerEn, o.Prompts.SystemZh, o.Prompts.QuestionsZh, o.Prompts.AnswerZh)),
            ["chunks"] = chunks.Count,
            ["chunks_sha256"] = Sha256(string.Join("\0", chunks.Select(c => $"{c.Id}\u0001{c.DocumentId}\u0001{c.Title}\u0001{c.Text}"))),
        };
    }

    /// <summary>round(f·N) chunks (at least one when f &gt; 0 and N ≥ 2), chosen by a seeded hash of their ids.</summary>
    internal static HashSet<string> TestChunks(IReadOnlyList<RaftChunk> chunks, RaftOptions options)
    {
        var count = (int)Math.Round(options.TestFraction * chunks.Count, MidpointRounding.AwayFromZero);
        if (options.TestFraction > 0 && chunks.Count >= 2)
            count = Math.Clamp(count, 1, chunks.Count - 1);
        return chunks.OrderBy(c => ChunkRandom.Key(options.Seed, "split", c.Id)).ThenBy(c => c.Id, StringComparer.Ordinal)
            .Take(count).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A chunk that fails after every retry is not journaled; the error says which one it was.</summary>
    private static async Task<RaftChunkRecord> NamingChunkAsync(RaftChunk chunk, Func<Task<RaftChunkRecord>> process)
    {
        try
        {
            return await process().ConfigureAwait(false);
        }
        catch (RaftException e)
        {
            throw new RaftException($"chunk '{chunk.Id}' (document '{chunk.DocumentId}'): {e.Message}", e);
        }
    }

    private async Task<RaftChunkRecord> ProcessChunkAsync(IReadOnlyList<RaftChunk> chunks, int index, bool isTest, ContextAssembler assembler, UsageMeter meter, CancellationToken ct)
    {
        var chunk = chunks[index];
        var language = _options.Language ?? LanguageDetection.Detect(chunk.Text);
        var prompts = _options.Prompts;
        var usage = new UsageScope(_teacher, _prices, meter);

        List<string> questions = [];
        var duplicates = 0;
        var questionPrompt = PromptTemplate.Fill(prompts.Questions(language), new Dictionary<string, string>
        {
            ["count"] = _options.QuestionsPerChunk.ToString(CultureInfo.InvariantCulture),
            ["chunk"] = chunk.Text,
        });
        for (var attempt = 0; attempt < _options.MaxQuestionAttempts && questions.Count == 0; attempt++)
        {
            var reply = await usage.AskAsync(Request(prompts.System(language), questionPrompt), ct).ConfigureAwait(false);
            questions = QuestionParser.Parse(reply.Content, _options.QuestionsPerChunk, out duplicates);
        }

        var answers = await Task.WhenAll(questions.Select(q => AnswerAsync(chunk, q, language, usage, ct))).ConfigureAwait(false);

        var rng = new ChunkRandom(_options.Seed, "context", chunk.Id);
        var examples = new List<RaftExample>();
        var dropped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        if (questions.Count == 0)
            dropped["no_questions"] = 1;
        for (var j = 0; j < questions.Count; j++)
        {
            var (reply, check, _) = answers[j];
            if (!check.Passed)
            {
                var reason = Snake(check.Reason!.Value);
                dropped[reason] = dropped.GetValueOrDefault(reason) + 1;
                continue;
            }
            var (docs, included) = await assembler.AssembleAsync(chunk, questions[j], rng, ct).ConfigureAwait(false);
            examples.Add(new RaftExample
            {
                Id = $"{chunk.Id}/q{j}",
                ChunkId = chunk.Id,
                DocumentId = chunk.DocumentId,
                Split = isTest ? "test" : "train",
                Language = language == RaftLanguage.Chinese ? "zh" : "en",
                Question = questions[j],
                Titles = docs.Select(d => d.DisplayTitle).ToList(),
                Documents = docs.Select(d => d.Text).ToList(),
                DocumentIds = docs.Select(d => d.Id).ToList(),
                OracleIncluded = included,
                OracleContext = chunk.Text,
                CotAnswer = reply!.Content,
                FinalAnswer = check.FinalAnswer,
                Instruction = _options.Format.BuildInstruction(docs.Select(d => d.Text), questions[j]),
                TeacherReasoning = reply.Reasoning,
            });
        }
        return new RaftChunkRecord
        {
            ChunkIndex = index,
            ChunkId = chunk.Id,
            Examples = examples,
            Questions = questions.Count,
            DuplicateQuestions = duplicates,
            Dropped = dropped,
            RejectedAnswers = answers.Sum(a => a.Rejected),
            Calls = usage.Calls,
            InputTokens = usage.Input,
            OutputTokens = usage.Output,
            CostUsd = usage.Cost,
        };
    }

    private async Task<(TeacherReply? Reply, CotCheck Check, int Rejected)> AnswerAsync(RaftChunk chunk, string question, RaftLanguage language, UsageScope usage, CancellationToken ct)
    {
        var prompt = PromptTemplate.Fill(_options.Prompts.Answer(language), new Dictionary<string, string>
        {
            ["question"] = question,
            ["chunk"] = chunk.Text,
            ["begin_quote"] = _options.Format.QuoteBegin,
            ["end_quote"] = _options.Format.QuoteEnd,
            ["answer_marker"] = _options.Format.AnswerMarker,
        });
        CotCheck check = new(DropReason.Empty, "", []);
        var rejected = 0;
        for (var attempt = 0; attempt < _options.MaxAnswerAttempts; attempt++)
        {
            var reply = await usage.AskAsync(Request(null, prompt), ct).ConfigureAwait(false);
            check = CotQualityGate.Check(reply.Content, chunk.Text, _options);
            if (check.Passed)
                return (reply, check, rejected);
            rejected++;
        }
        return (null, check, rejected);
    }

    private TeacherRequest Request(string? system, string user)
    {
        var messages = new List<TeacherMessage>();
        if (system is not null)
            messages.Add(new TeacherMessage(TeacherRole.System, system));
        messages.Add(new TeacherMessage(TeacherRole.User, user));
        return new TeacherRequest(messages, _options.Temperature, _options.MaxOutputTokens);
    }

    private static void CheckChunks(IReadOnlyList<RaftChunk> chunks)
    {
        if (chunks.Count == 0)
            throw new RaftException("no chunks to generate from: expected at least one document");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in chunks)
        {
            if (!ids.Add(c.Id))
                throw new RaftException($"chunk id '{c.Id}' occurs twice: expected unique chunk ids (they key the journal)");
            if (string.IsNullOrWhiteSpace(c.Text))
                throw new RaftException($"chunk '{c.Id}' has empty text: expected non-empty chunks");
        }
    }

    private static void Report(RaftRunOptions run, List<RaftChunkRecord> records, int total, UsageMeter meter, Stopwatch clock, int doneThisSession, int pendingAtStart)
    {
        if (run.Progress is null)
            return;
        TimeSpan? eta = doneThisSession == 0 ? null : clock.Elapsed / doneThisSession * (pendingAtStart - doneThisSession);
        run.Progress.Report(new RaftProgress(records.Count, total, records.Sum(r => r.Examples.Count), meter.Calls,
            meter.InputTokens, meter.OutputTokens, meter.CostUsd, clock.Elapsed, eta));
    }

    internal static string Snake(DropReason r) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString());

    private static string Sha256(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}
