// CoT distillation: ask the teacher to reason step by step, keep traces whose final answer matches the reference, retry the rest.
using RagTune.Knowledge.Rag;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RagTune.Raft.Costs;
using RagTune.Raft.Generation;
using RagTune.Raft.Runs;
using RagTune.Raft.Sources;
using RagTune.Raft.Teachers;

namespace RagTune.Raft.Distillation;

/// <summary>
/// For each item not yet journaled: up to <see cref="DistillOptions.MaxAttempts"/> teacher calls until the extracted final
/// answer matches the reference (<see cref="AnswerMatcher"/>); the item is journaled as kept (with its trace) or failed
/// (with the last reply). Resumable exactly like <see cref="RaftGenerator"/>.
/// </summary>
public sealed class Distiller
{
    public const string RunKind = "distill";

    private readonly ITeacher _teacher;
    private readonly DistillOptions _options;
    private readonly PriceTable _prices;

    public Distiller(ITeacher teacher, DistillOptions? options = null, PriceTable? prices = null)
    {
        _teacher = teacher ?? throw new ArgumentNullException(nameof(teacher));
        _options = options ?? new DistillOptions();
        _options.Validate();
        _prices = prices ?? PriceTable.Defaults;
    }

    public async Task<DistillResult> RunAsync(IReadOnlyList<DistillItem> items, string runDirectory, RaftRunOptions? run = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        run ??= new RaftRunOptions();
        var settings = new JsonObject
        {
            ["teacher_model"] = _teacher.ModelName,
            ["max_attempts"] = _options.MaxAttempts,
            ["tolerance"] = _options.Tolerance,
            ["temperature"] = _options.Temperature,
            ["max_output_tokens"] = _options.MaxOutputTokens,
            ["answer_marker"] = _options.AnswerMarker,
            ["language"] = _options.Language?.ToString().ToLowerInvariant() ?? "auto",
            ["prompts_sha256"] = Sha256(_options.PromptEn + "\0" + _options.PromptZh),
            ["items"] = items.Count,
            ["items_sha256"] = Sha256(string.Join("\0", items.Select(i => $"{i.Id}\u0001{i.Question}\u0001{i.Reference}"))),
        };
        var dir = RunDirectory.Open(runDirectory, RunKind, settings, run.Force);
        using var journal = Journal<DistillRecord>.Open(dir.JournalPath, RaftJson.Lines, out var finished);
        var done = finished.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var meter = new UsageMeter();
        foreach (var r in finished)
            meter.Add(r.Calls, r.InputTokens, r.OutputTokens, r.CostUsd);
        var priorCalls = meter.Calls;
        var records = new List<DistillRecord>(finished);
        var pending = Enumerable.Range(0, items.Count).Where(i => !done.Contains(items[i].Id)).ToList();
        var clock = Stopwatch.StartNew();
        var session = 0;
        void Report()
        {
            TimeSpan? eta = session == 0 ? null : clock.Elapsed / session * (pending.Count - session);
            run.Progress?.Report(new RaftProgress(records.Count, items.Count, records.Count(r => r.Kept), meter.Calls,
                meter.InputTokens, meter.OutputTokens, meter.CostUsd, clock.Elapsed, eta));
        }
        Report();
        var budgetReached = await WorkLoop.RunAsync(pending, _options.ItemConcurrency, run.MaxCostUsd, meter, journal,
            (index, token) => ProcessAsync(items[index], index, meter, token),
            record =>
            {
                records.Add(record);
                session++;
                Report();
            }, cancellationToken).ConfigureAwait(false);
        return new DistillResult(
            budgetReached && records.Count < items.Count ? RaftStopReason.BudgetReached : RaftStopReason.Completed,
            items.Count, records.Count, finished.Count, records.Count(r => r.Kept), records.Count(r => !r.Kept),
            meter.Calls, meter.InputTokens, meter.OutputTokens, meter.CostUsd, meter.Calls - priorCalls);
    }

    private async Task<DistillRecord> ProcessAsync(DistillItem item, int index, UsageMeter meter, CancellationToken ct)
    {
        var usage = new UsageScope(_teacher, _prices, meter);
        var language = _options.Language ?? LanguageDetection.Detect(item.Question);
        var prompt = PromptTemplate.Fill(language == RaftLanguage.Chinese ? _options.PromptZh : _options.PromptEn, new Dictionary<string, string>
        {
            ["question"] = item.Question,
            ["answer_marker"] = _options.AnswerMarker,
        });
        var request = new TeacherRequest([new TeacherMessage(TeacherRole.User, prompt)], _options.Temperature, _options.MaxOutputTokens);
        var reference = AnswerMatcher.ReferenceFinal(item.Reference);
        TeacherReply? last = null;
        string? final = null;
        var kept = false;
        var attempts = 0;
        while (attempts < _options.MaxAttempts && !kept)
        {
            attempts++;
            last = await usage.AskAsync(request, ct).ConfigureAwait(false);
            final = AnswerMatcher.ExtractFinal(last.Content, _options.AnswerMarker);
            kept = final is not null && AnswerMatcher.Matches(final, reference, _options.Tolerance);
        }
        return new DistillRecord
        {
            Index = index,
            Id = item.Id,
            Question = item.Question,
            Reference = item.Reference,
            Kept = kept,
            Attempts = attempts,
            Response = last?.Content,
            FinalAnswer = final,
            TeacherReasoning = last?.Reasoning,
            Calls = usage.Calls,
            InputTokens = usage.Input,
            OutputTokens = usage.Output,
            CostUsd = usage.Cost,
        };
    }

    private static string Sha256(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}
