// `ragtune demo`: the whole job offline on a synthetic world — corpus, knowledge base, RAFT data, tiny student,
// comparison report — saying plainly that it is a demonstration and what its numbers mean.
using System.CommandLine;
using RagTune.Pipeline.Synthetic;
using Spectre.Console;

namespace RagTune.Cli.Commands;

public static class DemoCommand
{
    /// <param name="trainer">Fine-tunes the student; null where this build has no trainer (then only the untrained
    /// student is compared, and the command says so).</param>
    public static Command Create(IStudentTrainer? trainer = null)
    {
        var fast = new Option<bool>("--fast") { Description = "A small world and student for CI (under a minute); the full demo takes about 10 minutes on 2 cores" };
        var output = new Option<string>("--out") { Description = "Output folder (rerun to reuse the trained student)", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "ragtune-demo") };
        var command = new Command("demo", "Self-contained offline demonstration: synthetic documents → knowledge base → RAFT data → tiny student → comparison report");
        command.Options.Add(fast);
        command.Options.Add(output);
        TerminationSignals.SetAction(command, async (r, ct) =>
        {
            AnsiConsole.MarkupLine("[bold]RagTune demo[/] — no network, no model download.");
            AnsiConsole.WriteLine(SyntheticDemo.Explanation);
            AnsiConsole.WriteLine();
            var progress = new Progress<string>(line => AnsiConsole.MarkupLine($"  {Markup.Escape(line)}"));
            var result = await SyntheticDemo.RunAsync(new SyntheticDemoOptions { OutputDirectory = r.GetValue(output)!, Fast = r.GetValue(fast) },
                trainer, progress, ct);
            AnsiConsole.WriteLine();
            AnsiConsole.WriteLine(result.Table);
            if (result.StudentPath is null)
                AnsiConsole.MarkupLine("[yellow]No fine-tuned student:[/] this build has no trainer wired to the demo, so the report compares the untrained student closed-book and with RAG only.");
            AnsiConsole.MarkupLine($"Report: {Markup.Escape(result.ReportPath)}");
            return 0;
        });
        return command;
    }
}
