// `ragtune pull REPO_ID`: downloads a checkpoint's inference files from the Hugging Face Hub (or a mirror) into the
// local cache and prints the folder, so `ragtune generate --model $(ragtune pull Qwen/Qwen2.5-0.5B-Instruct)` works.
using System.CommandLine;
using RagTune.Engine.Hub;
using Spectre.Console;

namespace RagTune.Cli.Commands;

public static class PullCommand
{
    public static Command Create()
    {
        var repoId = new Argument<string>("repo-id") { Description = "Repository on the Hub, e.g. Qwen/Qwen2.5-0.5B-Instruct" };
        var endpoint = new Option<string?>("--endpoint")
        {
            Description = $"Hub URL or a mirror with the same API (default: $HF_ENDPOINT, else {HubPullOptions.DefaultEndpoint}); token from $HF_TOKEN",
        };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit", DefaultValueFactory = _ => "main" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Model cache root (default: $RAGTUNE_CACHE, else ~/.cache/ragtune/models)" };
        var include = new Option<string[]>("--include") { Description = "Also download files matching this glob (repeatable; ** spans folders)" };
        var exclude = new Option<string[]>("--exclude") { Description = "Never download files matching this glob (repeatable)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output; print only the local folder" };

        var command = new Command("pull", "Download a checkpoint (safetensors, config, tokenizer) from the Hugging Face Hub into the local cache")
        {
            repoId, endpoint, revision, cacheDir, include, exclude, quiet,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new HubPullOptions
            {
                Endpoint = parse.GetValue(endpoint),
                Revision = parse.GetValue(revision) ?? "main",
                CacheDirectory = parse.GetValue(cacheDir),
                Include = parse.GetValue(include) ?? [],
                Exclude = parse.GetValue(exclude) ?? [],
            };
            string id = parse.GetValue(repoId)!;
            using var downloader = new HubDownloader();
            string directory = await PullWithProgressAsync(downloader, id, options, parse.GetValue(quiet), cancellationToken);
            // Only the folder goes to stdout, for use in $(...).
            Console.Out.WriteLine(directory);
            return 0;
        });
        return command;
    }

    private static async Task<string> PullWithProgressAsync(HubDownloader downloader, string repoId, HubPullOptions options, bool quiet,
        CancellationToken cancellationToken)
    {
        if (quiet)
            return await downloader.PullAsync(repoId, options, progress: null, cancellationToken);
        var console = CliConsole.Error();
        if (!console.Profile.Capabilities.Interactive)
        {
            // Logs and pipes get one line per finished file instead of a redrawn bar.
            var lines = new InlineProgress(p =>
            {
                if (p.Completed)
                    Console.Error.WriteLine($"[{p.FileIndex + 1}/{p.FileCount}] {p.File} ({FormatBytes(p.FileBytes)})");
            });
            return await downloader.PullAsync(repoId, options, lines, cancellationToken);
        }

        string result = "";
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var bar = context.AddTask(Markup.Escape(repoId));
                var progress = new InlineProgress(p =>
                {
                    bar.MaxValue = Math.Max(1, p.TotalSize);
                    bar.Value = Math.Min(p.TotalBytes, bar.MaxValue);
                    bar.Description = Markup.Escape($"[{p.FileIndex + 1}/{p.FileCount}] {p.File}");
                });
                result = await downloader.PullAsync(repoId, options, progress, cancellationToken);
                bar.Description = Markup.Escape(repoId);
                bar.Value = bar.MaxValue;
            });
        return result;
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>Reports synchronously on the downloader's thread (Progress&lt;T&gt; would post and reorder).</summary>
    private sealed class InlineProgress(Action<HubPullProgress> report) : IProgress<HubPullProgress>
    {
        public void Report(HubPullProgress value) => report(value);
    }
}
