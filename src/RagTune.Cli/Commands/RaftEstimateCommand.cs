// `ragtune raft estimate`: a dry run — calls, tokens and cost of a generation before anything is paid for.
using System.CommandLine;
using System.Globalization;
using RagTune.Raft.Costs;
using RagTune.Raft.Generation;
using Spectre.Console;

namespace RagTune.Cli.Commands;

internal static class RaftEstimateCommand
{
    public static Command Create()
    {
        var shared = new RaftCliOptions();
        var gen = new RaftGenerationOptions();
        var answerTokens = new Option<int>("--answer-tokens") { Description = "Assumed tokens per CoT answer", DefaultValueFactory = _ => 350 };
        var questionTokens = new Option<int>("--question-tokens") { Description = "Assumed tokens per question", DefaultValueFactory = _ => 30 };
        var command = new Command("estimate", "Estimate calls, tokens and cost of a RAFT generation (no requests are sent)");
        shared.AddSource(command);
        command.Options.Add(shared.Model);
        command.Options.Add(shared.Prices);
        gen.Add(command);
        command.Options.Add(answerTokens);
        command.Options.Add(questionTokens);
        command.SetAction(async (r, ct) =>
        {
            await using var corpus = await shared.LoadCorpusAsync(r, ct);
            var chunks = corpus.Chunks;
            var options = gen.Build(r, null, 1);
            var estimator = new RaftEstimator { AnswerTokens = r.GetValue(answerTokens), QuestionTokens = r.GetValue(questionTokens) };
            var e = estimator.Estimate(chunks, options, r.GetValue(shared.Model)!, shared.LoadPrices(r));
            var table = new Table().AddColumns("estimate", "value");
            table.AddRow("model", Markup.Escape(e.Model));
            table.AddRow("chunks", e.Chunks.ToString(CultureInfo.InvariantCulture));
            table.AddRow("teacher calls", string.Create(CultureInfo.InvariantCulture, $"{e.Calls:N0} ({e.QuestionCalls:N0} question + {e.AnswerCalls:N0} answer)"));
            table.AddRow("input tokens", e.InputTokens.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("output tokens", e.OutputTokens.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("cost", Markup.Escape(RaftCliOptions.Usd(e.CostUsd)));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine("[grey]Tokens are estimated from text length (1 per CJK character, 1 per 4 other characters); retries of rejected answers add calls.[/]");
            return 0;
        });
        return command;
    }
}
