// Spectre.Console progress bar for RAFT generation and distillation: done/total, examples, tokens, cost so far, ETA.
using System.Globalization;
using RagTune.Raft.Generation;
using Spectre.Console;

namespace RagTune.Cli.Commands;

internal static class RaftProgressView
{
    /// <summary>Runs <paramref name="work"/> with a live progress bar fed by the <see cref="IProgress{T}"/> it is given.</summary>
    public static async Task<T> RunAsync<T>(string unit, Func<IProgress<RaftProgress>, Task<T>> work)
    {
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(unit, maxValue: 1);
                var progress = new Immediate(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                    task.Description = Markup.Escape(Describe(unit, p));
                });
                result = await work(progress);
                task.StopTask();
            });
        return result;
    }

    public static string Describe(string unit, RaftProgress p)
    {
        var eta = p.Eta is { } e ? $"ETA {(int)e.TotalHours:00}:{e.Minutes:00}:{e.Seconds:00}" : "ETA --:--:--";
        return string.Create(CultureInfo.InvariantCulture,
            $"{unit} {p.Done}/{p.Total} · {p.Examples} kept · {p.InputTokens + p.OutputTokens:N0} tokens · ${p.CostUsd:0.0000} · {eta}");
    }

    // Progress<T> would post to the thread pool and reorder updates; the Spectre task is safe to update from any thread.
    private sealed class Immediate(Action<RaftProgress> report) : IProgress<RaftProgress>
    {
        public void Report(RaftProgress value) => report(value);
    }
}
