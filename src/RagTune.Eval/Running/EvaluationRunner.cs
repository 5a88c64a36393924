// Runs several systems over an eval set with bounded concurrency, scoring each answer as it arrives and appending it to
// the results log, so an interrupted run resumes where it stopped; then aggregates.
using RagTune.Knowledge.Rag;
using System.Diagnostics;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Systems;

namespace RagTune.Eval.Running;

public sealed class EvaluationRunner
{
    private readonly EvaluationRunnerOptions _options;

    public EvaluationRunner(EvaluationRunnerOptions? options = null)
    {
        _options = options ?? new EvaluationRunnerOptions();
        if (_options.MaxConcurrency < 1) throw new EvalException($"eval MaxConcurrency: found {_options.MaxConcurrency}; expected at least 1");
        if (_options.MaxItems is < 1) throw new EvalException($"eval MaxItems: found {_options.MaxItems}; expected at least 1");
    }

    public async Task<EvalRun> RunAsync(IReadOnlyList<EvalItem> items, IReadOnlyList<IEvalSystem> systems, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(systems);
        if (systems.Count == 0) throw new EvalException("eval systems: found none; expected at least one system");
        var dup = systems.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new EvalException($"eval systems: the name '{dup.Key}' is used {dup.Count()} times; expected unique names (they key the results file)");
        var selected = SelectItems(items);

        var done = new Dictionary<(string, string), ItemResult>();
        ResultsLog? log = null;
        if (_options.ResultsPath is not null)
        {
            (log, var existing) = await ResultsLog.OpenAsync(_options.ResultsPath, cancellationToken).ConfigureAwait(false);
            foreach (var r in existing) done[(r.System, r.ItemId)] = r; // later lines win
        }
        try
        {
            var todo = new List<(IEvalSystem System, EvalItem Item)>();
            foreach (var s in systems)
                foreach (var it in selected)
                    if (!done.TryGetValue((s.Name, it.Id), out var prior) || prior.Error is not null)
                        todo.Add((s, it));
            // Finished results are rescored from their stored answers: the lexical metrics are cheap, so a corrected gold
            // answer or metric reaches the report without asking any model again.
            foreach (var s in systems)
                foreach (var it in selected)
                    if (done.TryGetValue((s.Name, it.Id), out var prior) && prior.Error is null)
                        done[(s.Name, it.Id)] = Rescore(prior, it, _options.Format);
            int total = systems.Count * selected.Count, finished = total - todo.Count;
            var gate = new object();
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                async (work, ct) =>
                {
                    var result = await EvaluateAsync(work.System, work.Item, ct).ConfigureAwait(false);
                    if (log is not null) await log.AppendAsync(result, ct).ConfigureAwait(false);
                    int n;
                    lock (gate)
                    {
                        done[(result.System, result.ItemId)] = result;
                        n = ++finished;
                    }
                    _options.Progress?.Report(new EvalProgress(n, total, result.System, result.ItemId, result.Error is not null));
                }).ConfigureAwait(false);
            if (_options.Similarity is not null)
                await AddSimilarityAsync(_options.Similarity, done, systems, selected, log, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (log is not null) await log.DisposeAsync().ConfigureAwait(false);
        }

        var names = systems.Select(s => s.Name).ToList();
        var results = names.SelectMany(s => selected.Select(it => done[(s, it.Id)])).ToList();
        var aggregation = _options.Aggregation ?? new AggregatorOptions { Seed = _options.Seed };
        return new EvalRun(_options.Title, DateTimeOffset.UtcNow, _options.Seed, names, selected, results,
            Aggregator.Summarize(results, names, aggregation));
    }

    // Semantic similarity runs after the answers so the embedder gets large batches (a local CPU embedder is many times
    // faster per text in batches); each updated result is appended again, and the later line wins on resume.
    private static async Task AddSimilarityAsync(SemanticSimilarity similarity, Dictionary<(string, string), ItemResult> done,
        IReadOnlyList<IEvalSystem> systems, List<EvalItem> items, ResultsLog? log, CancellationToken cancellationToken)
    {
        const string name = MetricNames.SemanticSimilarity;
        var pending = systems.SelectMany(s => items.Select(it => (Item: it, Result: done[(s.Name, it.Id)])))
            .Where(p => p.Result.Error is null && !p.Result.Metrics.ContainsKey(name)).ToList();
        foreach (var chunk in pending.Chunk(512))
        {
            IReadOnlyList<double>? scores = null;
            string? failure = null;
            try
            {
                scores = await similarity.ScoreAsync(chunk.Select(p => (p.Result.FinalAnswer, p.Item.Answers)).ToList(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // A failing metric service must not discard the answers: the metric is left out, the reason kept, and a rerun retries.
                failure = $"{name}: {ex.GetType().Name}: {ex.Message}";
            }
            for (int i = 0; i < chunk.Length; i++)
            {
                var r = chunk[i].Result;
                var warnings = (r.Warnings ?? []).Where(w => !w.StartsWith(name + ":", StringComparison.Ordinal)).ToList();
                var metrics = new Dictionary<string, double>(r.Metrics, StringComparer.Ordinal);
                if (scores is not null) metrics[name] = scores[i];
                else warnings.Add(failure!);
                var updated = r with { Metrics = metrics, Warnings = warnings.Count > 0 ? warnings : null };
                done[(r.System, r.ItemId)] = updated;
                if (log is not null) await log.AppendAsync(updated, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static ItemResult Rescore(ItemResult result, EvalItem item, RagPromptFormat format)
    {
        var (lexical, citations) = AnswerScorer.Score(item, new SystemAnswer(result.Answer, result.Documents), format);
        var metrics = new Dictionary<string, double>(result.Metrics, StringComparer.Ordinal);
        foreach (var name in AnswerScorer.Produces) metrics.Remove(name);
        foreach (var (name, value) in lexical) metrics[name] = value;
        return result with { FinalAnswer = format.FinalAnswer(result.Answer), Metrics = metrics, Citations = citations };
    }

    private List<EvalItem> SelectItems(IReadOnlyList<EvalItem> items)
    {
        var ids = items.GroupBy(i => i.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (ids is not null) throw new EvalException($"eval items: the id '{ids.Key}' appears {ids.Count()} times; expected unique ids");
        if (_options.MaxItems is not int max || max >= items.Count) return items.ToList();
        var order = Enumerable.Range(0, items.Count).ToArray();
        new Random(_options.Seed).Shuffle(order);
        return order.Take(max).Order().Select(i => items[i]).ToList();
    }

    private async Task<ItemResult> EvaluateAsync(IEvalSystem system, EvalItem item, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        SystemAnswer answer;
        try
        {
            answer = await system.AnswerAsync(item, cancellationToken).ConfigureAwait(false);
            if (answer is null) throw new EvalException($"system '{system.Name}' returned no answer for item '{item.Id}'; expected a SystemAnswer");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Recorded without metrics — a failed call says nothing about the answers, so it is left out of the means and
            // counted beside them — and retried by the next run.
            return new ItemResult { System = system.Name, ItemId = item.Id, LatencyMs = watch.Elapsed.TotalMilliseconds, Error = $"{ex.GetType().Name}: {ex.Message}" };
        }
        var latency = answer.Latency > TimeSpan.Zero ? answer.Latency : watch.Elapsed;
        var (metrics, citations) = AnswerScorer.Score(item, answer, _options.Format);
        var final = _options.Format.FinalAnswer(answer.Text);
        var judge = _options.Judge is null ? null : await JudgeAsync(item, answer, final, metrics, cancellationToken).ConfigureAwait(false);
        return new ItemResult
        {
            System = system.Name,
            ItemId = item.Id,
            Answer = answer.Text,
            FinalAnswer = final,
            Documents = answer.Documents,
            LatencyMs = latency.TotalMilliseconds,
            Metrics = metrics,
            Citations = citations,
            Judge = judge,
        };
    }

    private async Task<Dictionary<string, JudgeVerdict>> JudgeAsync(EvalItem item, SystemAnswer answer, string final,
        Dictionary<string, double> metrics, CancellationToken cancellationToken)
    {
        var judge = _options.Judge!;
        var verdicts = new Dictionary<string, JudgeVerdict>(StringComparer.Ordinal);
        var relevance = judge.JudgeRelevanceAsync(item.Question, final, cancellationToken);
        // Faithfulness needs the context the model saw; closed-book answers have none to be faithful to.
        Task<JudgeVerdict>? faithfulness = answer.Documents is { Count: > 0 } docs
            ? judge.JudgeFaithfulnessAsync(item.Question, answer.Text, docs.Select(d => d.Text).ToList(), cancellationToken)
            : null;
        verdicts[MetricNames.JudgeRelevance] = await relevance.ConfigureAwait(false);
        if (faithfulness is not null) verdicts[MetricNames.JudgeFaithfulness] = await faithfulness.ConfigureAwait(false);
        foreach (var (name, v) in verdicts)
            if (v.Score is int s) metrics[name] = s;
        return verdicts;
    }
}
