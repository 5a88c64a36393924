// `ragtune eval`: runs an eval set (JSONL) through one or more models behind an OpenAI-compatible endpoint, closed-book
// and/or with the item's documents, then writes results.jsonl (resumable), report.json and report.html and prints a table;
// --judge-model adds the LLM judge, --embed-model semantic similarity.
using RagTune.Knowledge.Rag;
using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using RagTune.Engine.AI;
using RagTune.Eval;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Reports;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;
using RagTune.Raft.Clients;
using Spectre.Console;

namespace RagTune.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var set = new Option<string>("--set") { Description = "Eval set JSONL: RAFT eval export {question, gold_final_answer, context} or {question, answers, context?}", Required = true };
        var models = new Option<string[]>("--model") { Description = "Model name on the endpoint (repeatable: one system per model and mode)", Required = true, AllowMultipleArgumentsPerToken = true };
        var endpoint = new Option<string?>("--endpoint") { Description = "OpenAI-compatible base URL incl. /v1, e.g. http://localhost:11434/v1 (default api.openai.com)" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key (default: $RAGTUNE_EVAL_API_KEY or $OPENAI_API_KEY)" };
        var mode = new Option<string>("--mode") { Description = "closed-book, context (the item's documents, RAFT prompt) or both", DefaultValueFactory = _ => "both" };
        var output = new Option<string>("--out") { Description = "Output folder: results.jsonl (rerun to resume), report.json, report.html", Required = true };
        var concurrency = new Option<int>("--concurrency") { Description = "Questions answered at once", DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { Description = "Seed for document order, sampling, subset and bootstrap", DefaultValueFactory = _ => 0 };
        var maxItems = new Option<int?>("--max-items") { Description = "Evaluate a seeded random subset of this many questions" };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the systems", DefaultValueFactory = _ => 0f };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Longest answer in tokens" };
        var instruction = new Option<string?>("--instruction") { Description = "Text appended after the question, e.g. asking for \"<ANSWER>: …\" at the end" };
        var judgeModel = new Option<string?>("--judge-model") { Description = "Also score faithfulness and relevance with this model as judge (1–5)" };
        var judgeEndpoint = new Option<string?>("--judge-endpoint") { Description = "Judge's base URL (default: --endpoint)" };
        var embedModel = new Option<string?>("--embed-model") { Description = "Also score semantic_sim: cosine of answer and reference embeddings from this local embedding checkpoint folder (BERT / XLM-R)" };
        var maxAttempts = new Option<int>("--max-attempts") { Description = "Attempts per request on refused connections, 408/429/5xx, timeouts and malformed replies (exponential backoff with jitter; Retry-After wins)", DefaultValueFactory = _ => 6 };
        var timeout = new Option<double>("--timeout") { Description = "Per-request timeout in seconds", DefaultValueFactory = _ => 180 };
        var title = new Option<string>("--title") { Description = "Report title", DefaultValueFactory = _ => "RagTune evaluation" };
        var ragFormat = new Option<string?>("--rag-format") { Description = $"Prompt format ({RagPromptFormat.FileName}) of the context prompt, quotes and final answer; default: the one recorded beside --set, else RAFT's default" };

        var command = new Command("eval", "Evaluate models on an eval set: EM/F1 (SQuAD, CMRC 2018), ROUGE-L, containment, citations, judge; writes an HTML report")
        {
            set, models, endpoint, apiKey, mode, output, concurrency, seed, maxItems, temperature, maxTokens, instruction, judgeModel, judgeEndpoint, embedModel, maxAttempts, timeout, title, ragFormat,
        };
        TerminationSignals.SetAction(command, async (parse, cancellationToken) =>
        {
            var items = await EvalSetReader.ReadAsync(parse.GetValue(set)!, cancellationToken);
            var format = parse.GetValue(ragFormat) is { } file ? RagPromptFormat.Load(file) : EvalSetReader.ReadFormat(parse.GetValue(set)!);
            var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("RAGTUNE_EVAL_API_KEY");
            var baseUri = ParseUri(parse.GetValue(endpoint), "--endpoint");
            var modes = parse.GetValue(mode) switch
            {
                "closed-book" => new[] { ContextSource.None },
                "context" => [ContextSource.ItemDocuments],
                "both" => [ContextSource.None, ContextSource.ItemDocuments],
                var other => throw new EvalException($"--mode '{other}' is not known; expected closed-book, context or both"),
            };
            int seedValue = parse.GetValue(seed);
            var chatOptions = new ChatOptions { Temperature = parse.GetValue(temperature), MaxOutputTokens = parse.GetValue(maxTokens) };
            var resilience = new ResilienceOptions
            {
                MaxConcurrency = parse.GetValue(concurrency),
                MaxAttempts = parse.GetValue(maxAttempts),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
            };
            IChatClient Remote(string model, Uri? endpointUri) =>
                OpenAICompatibleChatClient.Create(model, endpointUri, key).AsBuilder().UseResilience(resilience).Build();
            var systems = new List<IEvalSystem>();
            foreach (var model in parse.GetValue(models)!)
            {
                var client = Remote(model, baseUri);
                foreach (var m in modes)
                    systems.Add(new ChatClientSystem(client, new ChatClientSystemOptions
                    {
                        Name = m == ContextSource.None ? $"{model} closed-book" : $"{model} + documents",
                        Context = m,
                        Seed = seedValue,
                        Instruction = parse.GetValue(instruction),
                        Format = format,
                        ChatOptions = chatOptions,
                    }));
            }

            using var judgeClient = parse.GetValue(judgeModel) is { } jm ? Remote(jm, ParseUri(parse.GetValue(judgeEndpoint), "--judge-endpoint") ?? baseUri) : null;
            var judge = judgeClient is null ? null : new LlmJudge(judgeClient, new LlmJudgeOptions { ChatOptions = new ChatOptions { Temperature = 0 } });
            // Loaded before any question is asked, so a wrong folder fails at once.
            using var embedder = parse.GetValue(embedModel) is { } em ? LocalEmbeddingGenerator.Load(em, Path.GetFileName(Path.TrimEndingDirectorySeparator(em))) : null;
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            var progress = new Progress<EvalProgress>(p =>
            {
                if (p.Done == p.Total || p.Done % 10 == 0 || p.Failed)
                    Console.Error.WriteLine($"[{p.Done}/{p.Total}] {p.System} · {p.ItemId}{(p.Failed ? " · FAILED" : "")}");
            });
            var runner = new EvaluationRunner(new EvaluationRunnerOptions
            {
                MaxConcurrency = parse.GetValue(concurrency),
                ResultsPath = Path.Combine(outDir, "results.jsonl"),
                Seed = seedValue,
                MaxItems = parse.GetValue(maxItems),
                Judge = judge,
                Similarity = embedder is null ? null : new SemanticSimilarity(embedder),
                Progress = progress,
                Title = parse.GetValue(title)!,
                Format = format,
            });
            var run = await runner.RunAsync(items, systems, cancellationToken);
            var jsonPath = Path.Combine(outDir, "report.json");
            var htmlPath = Path.Combine(outDir, "report.html");
            await JsonReport.WriteAsync(run, jsonPath, cancellationToken);
            await HtmlReport.WriteAsync(run, htmlPath, new HtmlReportOptions { Format = format }, cancellationToken);
            // Pipes and logs get the plain aligned table; terminals the Spectre one.
            if (Console.IsOutputRedirected) Console.Out.Write(TextTableReport.Render(run));
            else AnsiConsole.Write(SummaryTable(run));
            Console.Error.WriteLine($"results: {Path.Combine(outDir, "results.jsonl")}");
            Console.Error.WriteLine($"report:  {htmlPath}");
            return run.Summaries.Any(s => s.Errors > 0) ? 2 : 0;
        });
        return command;
    }

    private static Uri? ParseUri(string? value, string option)
    {
        if (value is null) return null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
            throw new EvalException($"{option} '{value}' is not an absolute URL; expected e.g. http://localhost:11434/v1");
        return uri;
    }

    private static Table SummaryTable(EvalRun run)
    {
        string[] columns = [MetricNames.ExactMatch, MetricNames.F1, MetricNames.RougeL, MetricNames.Contains, MetricNames.CitationSupport,
            MetricNames.SemanticSimilarity, MetricNames.JudgeFaithfulness, MetricNames.JudgeRelevance, .. MetricNames.Retrieval];
        var shown = columns.Where(c => run.Summaries.Any(s => s.Metrics.ContainsKey(c))).ToList();
        var table = new Table().Border(TableBorder.Rounded).AddColumn("system").AddColumn(new TableColumn("n").RightAligned()).AddColumn(new TableColumn("errors").RightAligned());
        foreach (var c in shown) table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var s in run.Summaries)
        {
            var cells = new List<string> { Spectre.Console.Markup.Escape(s.System), s.Items.ToString(CultureInfo.InvariantCulture), s.Errors.ToString(CultureInfo.InvariantCulture) };
            foreach (var c in shown)
            {
                if (!s.Metrics.TryGetValue(c, out var m)) { cells.Add("–"); continue; }
                var cell = m.Count == 0 ? "–" : m.Mean.ToString("0.000", CultureInfo.InvariantCulture);
                if (m.CiLow is double lo && m.CiHigh is double hi)
                    cell += $" [grey]±{((hi - lo) / 2).ToString("0.000", CultureInfo.InvariantCulture)}[/]";
                if (m.Errors > 0)
                    cell += $" [red]{Spectre.Console.Markup.Escape(RagTune.Eval.Reports.Markup.ErrorNote(m.Errors).Trim())}[/]";
                cells.Add(cell);
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }
}
