// `ragtune run pipeline.yaml`: the whole job in one command — documents → knowledge base → RAFT data → fine-tune →
// evaluate → report — each stage skipped when its outputs are current and resumed after an interruption.
using System.CommandLine;
using RagTune.Eval;
using RagTune.Pipeline;

namespace RagTune.Cli.Commands;

public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("pipeline") { Description = "Pipeline file (YAML; see docs/pipeline.md)" };
        var check = new Option<bool>("--check") { Description = "Only read and validate the pipeline file and print what it resolves to; run nothing" };
        var command = new Command("run", "Run a pipeline file: documents → knowledge base → RAFT data → fine-tune → evaluate → report") { file, check };
        TerminationSignals.SetAction(command, async (r, ct) =>
        {
            string path = r.GetValue(file)!;
            var pipeline = PipelineFile.Load(path);
            // The file format leaves the teacher optional (a library caller may inject one); the command has only the endpoint.
            if (pipeline.Raft.Teacher.Endpoint.Length == 0)
                throw new EvalException($"{path}: field 'raft.teacher.endpoint' is missing: expected the teacher's OpenAI-compatible base URL, e.g. http://localhost:11434/v1");
            if (pipeline.Raft.Teacher.Model.Length == 0)
                throw new EvalException($"{path}: field 'raft.teacher.model' is missing: expected the teacher's model name, e.g. qwen2.5:7b");
            if (r.GetValue(check))
            {
                PrintPlan(path, pipeline);
                return 0;
            }
            // Progress goes to stderr as it happens (inline, so lines keep their order); the results table and the
            // report paths go to stdout.
            var progress = new LineProgress(line => Console.Error.WriteLine($"  {line}"));
            var result = await new PipelineRunner(pipeline, new PipelineRunnerOptions { Progress = progress }).RunAsync(ct);
            Console.Out.WriteLine(result.Table);
            Console.Out.WriteLine($"Report: {result.ReportPath}");
            Console.Out.WriteLine($"JSON:   {result.JsonPath}");
            return 0;
        });
        return command;
    }

    private static void PrintPlan(string path, PipelineDefinition p)
    {
        Console.Out.WriteLine($"{path}: valid");
        Console.Out.WriteLine($"  documents: {p.Documents}");
        Console.Out.WriteLine($"  work_dir:  {p.WorkDir}");
        Console.Out.WriteLine($"  teacher:   {p.Raft.Teacher.Model} at {p.Raft.Teacher.Endpoint}");
        Console.Out.WriteLine($"  student:   {p.Train.Student} ({(p.Train.FullFineTune ? "full fine-tune" : $"LoRA rank {p.Train.LoraRank}")}, {p.Train.Steps} steps)");
        Console.Out.WriteLine($"  evaluate:  {string.Join(", ", p.Evaluate.Systems)}");
    }

    private sealed class LineProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
