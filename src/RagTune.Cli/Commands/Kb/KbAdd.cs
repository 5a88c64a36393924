// `ragtune kb add DIR PATH...`: incremental ingestion of folders and files with a progress bar, then a summary table and
// every failed file. Exit code: 0 when the batch completed (files that could not be read are listed, not fatal); 2 with
// --strict when any file failed; 130 after Ctrl+C/SIGTERM (what was done is committed first); 1 (from the runner) on a
// fatal error such as a missing path or an unreachable embedding server.
using System.CommandLine;
using RagTune.Knowledge.Store;
using Spectre.Console;

namespace RagTune.Cli.Commands.Kb;

internal static class KbAdd
{
    public static Command Create()
    {
        var dir = KbConsole.DirectoryArgument();
        var paths = new Argument<string[]>("paths")
        {
            Description = "Folders of documents (.txt .md .html .docx .pdf .json .jsonl), searched recursively, and single files",
            Arity = ArgumentArity.OneOrMore,
        };
        var commitSeconds = new Option<int>("--commit-seconds") { Description = "Make progress durable at least this often (a kill loses at most this much work)", DefaultValueFactory = _ => 30 };
        var strict = new Option<bool>("--strict") { Description = "Exit with code 2 when any file failed to load" };
        var command = new Command("add", "Add folders and files: index new and changed files, remove deleted ones, leave unchanged ones alone")
        {
            dir, paths, commitSeconds, strict,
        };
        TerminationSignals.SetAction(command, async (parse, cancellationToken) =>
        {
            int seconds = parse.GetValue(commitSeconds);
            if (seconds < 1) throw new Knowledge.KnowledgeException($"--commit-seconds is {seconds}; expected at least 1");
            var options = new IngestOptions { CommitInterval = TimeSpan.FromSeconds(seconds) };
            var targets = parse.GetValue(paths)!;
            foreach (var path in targets)
                if (!File.Exists(path) && !Directory.Exists(path))
                    throw new Knowledge.KnowledgeException($"cannot add '{path}': no such file or folder; expected documents or folders of them");
            await using var kb = await KbConsole.OpenForWritingAsync(parse.GetValue(dir)!, cancellationToken);
            var summaries = new List<IngestSummary>();
            try
            {
                foreach (var path in targets)
                    summaries.Add(await IngestWithProgressAsync(kb, path, options, cancellationToken));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine("ragtune: kb add stopped; the files finished so far are committed. Run the same command again to add the rest.");
                throw;
            }
            var summary = IngestSummary.Combine(summaries);
            Report(KbConsole.Results(), summary);
            return parse.GetValue(strict) && summary.Failed.Count > 0 ? 2 : 0;
        });
        return command;
    }

    private static async Task<IngestSummary> IngestWithProgressAsync(KnowledgeBase kb, string path, IngestOptions options, CancellationToken cancellationToken)
    {
        var console = KbConsole.Progress();
        if (!console.Profile.Capabilities.Interactive)
        {
            // Logs and pipes get one line per file and per commit instead of a redrawn bar.
            var lines = new InlineProgress(p => Console.Error.WriteLine(p.CurrentPath is null
                ? $"committed ({p.Commits}) after {p.FilesDone}/{p.FilesTotal} files"
                : $"[{p.FilesDone}/{p.FilesTotal}] {p.CurrentPath}"));
            return await kb.AddAsync(path, options, lines, cancellationToken);
        }
        IngestSummary summary = null!;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var bar = context.AddTask(Markup.Escape(path));
                var progress = new InlineProgress(p =>
                {
                    bar.MaxValue = Math.Max(1, p.FilesTotal);
                    bar.Value = p.FilesDone;
                    bar.Description = Markup.Escape(p.CurrentPath ?? $"committed {p.Commits}");
                });
                summary = await kb.AddAsync(path, options, progress, cancellationToken);
                bar.Value = bar.MaxValue;
                bar.Description = Markup.Escape(path);
            });
        return summary;
    }

    private static void Report(IAnsiConsole console, IngestSummary summary)
    {
        var table = new Table().Title("ingestion").AddColumn("files").AddColumn(new TableColumn("count").RightAligned());
        table.AddRow("added", summary.Added.Count.ToString());
        table.AddRow("updated", summary.Updated.Count.ToString());
        table.AddRow("removed", summary.Removed.Count.ToString());
        table.AddRow("unchanged", summary.Unchanged.ToString());
        table.AddRow(summary.Failed.Count > 0 ? "[red]failed[/]" : "failed", summary.Failed.Count.ToString());
        table.AddRow("skipped", summary.Skipped.Count.ToString());
        table.AddRow("documents indexed", summary.DocumentsIndexed.ToString());
        table.AddRow("chunks written", summary.ChunksWritten.ToString());
        table.AddRow("chunks embedded", summary.ChunksEmbedded.ToString());
        if (summary.SummariesWritten + summary.SummariesReused > 0)
            table.AddRow("summaries written / reused", $"{summary.SummariesWritten} / {summary.SummariesReused}");
        table.AddRow("commits", summary.Commits.ToString());
        console.Write(table);
        if (summary.Failed.Count == 0) return;
        var failures = new Table().Title("[red]failed files[/]").AddColumn("file").AddColumn("reason");
        foreach (var failure in summary.Failed) failures.AddRow(Markup.Escape(failure.Path), Markup.Escape(failure.Reason));
        console.Write(failures);
    }

    /// <summary>Reports synchronously on the ingestion's thread (Progress&lt;T&gt; would post and reorder).</summary>
    private sealed class InlineProgress(Action<IngestProgress> report) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => report(value);
    }
}
