// `ragtune raft export`: write a run's examples as RAFT, chat, completion, eval, LLaMA-Factory and FlagEmbedding files.
using System.CommandLine;
using RagTune.Raft;
using RagTune.Raft.Export;
using RagTune.Raft.Sources;
using Spectre.Console;

namespace RagTune.Cli.Commands;

internal static class RaftExportCommand
{
    public static Command Create()
    {
        var shared = new RaftCliOptions();
        var run = new Option<string>("--run") { Description = "Run directory of `raft generate`", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder", Required = true };
        var formats = new Option<string>("--format") { Description = "Comma list of raft, chat, completion, eval, alpaca, sharegpt, flagembedding, or all", DefaultValueFactory = _ => "all" };
        var system = new Option<string?>("--system-prompt") { Description = "System message for chat and LLaMA-Factory files" };
        var negatives = new Option<int>("--negatives-per-query") { Description = "FlagEmbedding negatives per query", DefaultValueFactory = _ => 7 };
        var prompt = new Option<string?>("--embedding-prompt") { Description = "FlagEmbedding query prompt (default: bge's instruction for the language; \"\" to omit)" };
        var command = new Command("export", "Export a RAFT run to training formats (with --docs/--chunks/--kb, embedding negatives are mined from the corpus; with --kb by its search)");
        foreach (var o in new Option[] { run, output, formats, system, negatives, prompt })
            command.Options.Add(o);
        shared.AddSource(command);
        command.SetAction(async (r, ct) =>
        {
            var options = new RaftExportOptions
            {
                Formats = ParseFormats(r.GetValue(formats)!),
                SystemPrompt = r.GetValue(system),
                NegativesPerQuery = r.GetValue(negatives),
                EmbeddingPrompt = r.GetValue(prompt),
            };
            await using var corpus = shared.HasSource(r) ? await shared.LoadCorpusAsync(r, ct) : null;
            if (corpus is not null)
            {
                options.Chunks = corpus.Chunks;
                options.Negatives = corpus.HardNegatives();
            }
            var result = await RaftExporter.ExportAsync(r.GetValue(run)!, r.GetValue(output)!, options, ct);
            AnsiConsole.MarkupLine($"{result.TrainExamples} train + {result.TestExamples} test examples ({result.DuplicatesRemoved} duplicate questions removed):");
            foreach (var f in result.Files)
                AnsiConsole.MarkupLine($"  {Markup.Escape(f)}");
            return 0;
        });
        return command;
    }

    internal static RaftExportFormats ParseFormats(string list)
    {
        var f = RaftExportFormats.None;
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            f |= name.ToLowerInvariant() switch
            {
                "all" => RaftExportFormats.All,
                "raft" => RaftExportFormats.Raft,
                "chat" => RaftExportFormats.Chat,
                "completion" => RaftExportFormats.Completion,
                "eval" => RaftExportFormats.Eval,
                "alpaca" => RaftExportFormats.Alpaca,
                "sharegpt" => RaftExportFormats.ShareGpt,
                "flagembedding" => RaftExportFormats.FlagEmbedding,
                _ => throw new RaftException($"--format '{name}' is unknown: expected raft, chat, completion, eval, alpaca, sharegpt, flagembedding or all"),
            };
        if (f == RaftExportFormats.None)
            throw new RaftException("--format is empty: expected at least one format");
        return f;
    }
}
