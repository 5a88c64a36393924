// `ragtune run pipeline.yaml`: the whole job in one command — documents → knowledge base → RAFT data → fine-tune →
// evaluate → report — each stage skipped when its outputs are current and resumed after an interruption.
using System.CommandLine;
using RagTune.Eval.Pipeline;
using Spectre.Console;

namespace RagTune.Cli.Commands;

public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("pipeline") { Description = "Pipeline file (YAML; see docs/pipeline.md)" };
        var command = new Command("run", "Run a pipeline file: documents → knowledge base → RAFT data → fine-tune → evaluate → report") { file };
        command.SetAction(async (r, ct) =>
        {
            var pipeline = PipelineFile.Load(r.GetValue(file)!);
            var progress = new Progress<string>(line => AnsiConsole.MarkupLine($"  {Markup.Escape(line)}"));
            var result = await new PipelineRunner(pipeline, new PipelineRunnerOptions { Progress = progress }).RunAsync(ct);
            AnsiConsole.WriteLine();
            AnsiConsole.WriteLine(result.Table);
            AnsiConsole.MarkupLine($"Report: {Markup.Escape(result.ReportPath)}");
            AnsiConsole.MarkupLine($"JSON:   {Markup.Escape(result.JsonPath)}");
            return 0;
        });
        return command;
    }
}
