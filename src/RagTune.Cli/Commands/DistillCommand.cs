// `ragtune distill`: teacher-to-student chain-of-thought distillation from question/answer JSONL, keeping only verified traces.
using System.CommandLine;
using System.Globalization;
using RagTune.Raft;
using RagTune.Raft.Distillation;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;
using Spectre.Console;

namespace RagTune.Cli.Commands;

public static class DistillCommand
{
    public static Command Create()
    {
        var shared = new RaftCliOptions();
        var input = new Option<string>("--input") { Description = "JSONL of question/answer pairs", Required = true };
        var questionField = new Option<string>("--question-field") { DefaultValueFactory = _ => "question", Description = "Field holding the question" };
        var answerField = new Option<string>("--answer-field") { DefaultValueFactory = _ => "answer", Description = "Field holding the reference answer (GSM8K '#### n' understood)" };
        var idField = new Option<string>("--id-field") { DefaultValueFactory = _ => "id", Description = "Field holding the item id (default: line number)" };
        var attempts = new Option<int>("--attempts") { DefaultValueFactory = _ => 4, Description = "Teacher tries per item before it is left over" };
        var tolerance = new Option<double>("--tolerance") { DefaultValueFactory = _ => 1e-6, Description = "Relative tolerance for numeric answers" };
        var language = new Option<string>("--language") { DefaultValueFactory = _ => "auto", Description = "Prompt language: auto, en or zh" };
        var prompt = new Option<string?>("--prompt") { Description = "Text file with the prompt template ({question}, {answer_marker})" };
        var output = new Option<string?>("--out") { Description = "Where to write distilled.jsonl and leftover.jsonl (default: the run directory)" };
        var command = new Command("distill", "Distil step-by-step reasoning from a teacher, keeping traces whose final answer matches the reference");
        foreach (var o in new Option[] { input, questionField, answerField, idField, attempts, tolerance, language, prompt, output })
            command.Options.Add(o);
        shared.AddTeacher(command);
        TerminationSignals.SetAction(command, async (r, ct) =>
        {
            var items = DistillItem.Load(r.GetValue(input)!, r.GetValue(questionField)!, r.GetValue(answerField)!, r.GetValue(idField)!);
            var options = new DistillOptions
            {
                MaxAttempts = r.GetValue(attempts),
                Tolerance = r.GetValue(tolerance),
                ItemConcurrency = r.GetValue(shared.Concurrency),
                Language = RaftCliOptions.ParseLanguage(r.GetValue(language)!, "--language"),
            };
            if (r.GetValue(shared.Temperature) is { } t)
                options.Temperature = t;
            if (r.GetValue(prompt) is { } p)
            {
                if (!File.Exists(p))
                    throw new RaftException($"--prompt file '{p}' does not exist: expected a text template with {{question}}");
                options.PromptEn = options.PromptZh = File.ReadAllText(p);
            }
            var teacher = shared.CreateTeacher(r);
            var distiller = new Distiller(teacher, options, shared.LoadPrices(r));
            var run = r.GetValue(shared.Run)!;
            var result = await RaftProgressView.RunAsync("items", pr => distiller.RunAsync(items, run, shared.RunOptions(r, pr), ct));
            var (distilled, leftover, kept, failed) = DistillExporter.Export(run, r.GetValue(output) ?? run);
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Done}/{result.Total} items: {kept} kept, {failed} left over; {result.Calls} calls ({result.CallsThisSession} this session), {result.InputTokens + result.OutputTokens:N0} tokens, {Markup.Escape(RaftCliOptions.Usd(result.CostUsd))}"));
            AnsiConsole.MarkupLine($"  {Markup.Escape(distilled)}\n  {Markup.Escape(leftover)}");
            return result.StopReason == RaftStopReason.BudgetReached ? 3 : 0;
        });
        return command;
    }
}
