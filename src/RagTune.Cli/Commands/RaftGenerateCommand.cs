// `ragtune raft generate`: run the teacher over the chunks into a resumable run directory, with a progress bar and a budget cap.
using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using RagTune.Raft.Clients;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;
using Spectre.Console;

namespace RagTune.Cli.Commands;

internal static class RaftGenerateCommand
{
    public static Command Create()
    {
        var shared = new RaftCliOptions();
        var gen = new RaftGenerationOptions();
        var command = new Command("generate", "Generate RAFT examples with a teacher LLM (resumable: rerun the same command to continue)");
        shared.AddSource(command);
        shared.AddTeacher(command);
        gen.Add(command);
        TerminationSignals.SetAction(command, async (r, ct) =>
        {
            await using var corpus = await shared.LoadCorpusAsync(r, ct);
            var chunks = corpus.Chunks;
            var options = gen.Build(r, r.GetValue(shared.Temperature), r.GetValue(shared.Concurrency));
            var teacher = shared.CreateTeacher(r);
            IHardNegativeProvider? hard = options.DistractorMode == DistractorMode.Hard ? corpus.HardNegatives() : null;
            var generator = new RaftGenerator(teacher, options, shared.LoadPrices(r), hard);
            var run = r.GetValue(shared.Run)!;
            var result = await RaftProgressView.RunAsync("chunks", p => generator.RunAsync(chunks, run, shared.RunOptions(r, p), ct));
            var table = new Table().AddColumns("run", "value");
            table.AddRow("chunks done", $"{result.ChunksDone}/{result.ChunksTotal} ({result.ChunksResumed} resumed from the journal)");
            table.AddRow("examples", string.Create(CultureInfo.InvariantCulture, $"{result.Examples - result.CrossChunkDuplicates} ({result.CrossChunkDuplicates} repeating an earlier chunk's question, left out of exports)"));
            table.AddRow("questions", string.Create(CultureInfo.InvariantCulture, $"{result.Questions} ({result.DuplicateQuestions} duplicates removed)"));
            table.AddRow("answers rejected by the quality gate", result.RejectedAnswers.ToString(CultureInfo.InvariantCulture));
            table.AddRow("questions dropped", result.Dropped.Count == 0 ? "0" : Markup.Escape(string.Join(", ", result.Dropped.Select(kv => $"{kv.Key}: {kv.Value}"))));
            var resilience = teacher.Client.GetService<ResilientChatClient>();
            table.AddRow("teacher calls", string.Create(CultureInfo.InvariantCulture, $"{result.Calls} ({result.CallsThisSession} this session, {resilience?.Retries ?? 0} retries, {resilience?.Timeouts ?? 0} timeouts)"));
            table.AddRow("tokens", string.Create(CultureInfo.InvariantCulture, $"{result.InputTokens:N0} in, {result.OutputTokens:N0} out"));
            table.AddRow("cost", Markup.Escape(RaftCliOptions.Usd(result.CostUsd)));
            AnsiConsole.Write(table);
            if (result.StopReason == RaftStopReason.BudgetReached)
            {
                AnsiConsole.MarkupLine($"[yellow]Budget reached: stopped cleanly. Rerun with a higher --max-cost to continue.[/]");
                return 3;
            }
            AnsiConsole.MarkupLine($"Export with: [blue]ragtune raft export --run {Markup.Escape(run)} --out <folder>[/]");
            return 0;
        });
        return command;
    }
}
