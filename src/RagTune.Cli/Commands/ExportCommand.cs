// `ragtune export gguf`: a Hugging Face decoder checkpoint (optionally with a PEFT LoRA adapter folded in) as a GGUF file
// for llama.cpp and Ollama, with an Ollama Modelfile beside it; the work is the engine's GgufExporter.
using System.CommandLine;
using RagTune.Engine.Export;

namespace RagTune.Cli.Commands;

public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (LLaMA, Qwen2 or Qwen3 decoder)", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder merged into the weights first" };
        var type = new Option<string>("--type")
        {
            Description = $"Weight encoding: {string.Join(", ", GgufExportTypes.Names)} (q4_k_m is llama.cpp's Q4_K_M mixture)",
            DefaultValueFactory = _ => "f16",
        };
        var output = new Option<string?>("--out", "-o") { Description = "The .gguf file to write (default: <model>-<type>.gguf beside the model folder)" };
        var noModelfile = new Option<bool>("--no-modelfile") { Description = "Do not write an Ollama Modelfile beside the .gguf" };
        var gguf = new Command("gguf", "Write a GGUF file (llama.cpp, Ollama) and an Ollama Modelfile") { model, adapter, type, output, noModelfile };
        gguf.SetAction(async (parse, ct) =>
        {
            var result = await GgufExporter.ExportAsync(new GgufExportOptions
            {
                ModelDirectory = parse.GetValue(model)!,
                AdapterDirectory = parse.GetValue(adapter),
                Type = GgufExportTypes.Parse(parse.GetValue(type)!),
                OutputPath = parse.GetValue(output),
                WriteModelfile = !parse.GetValue(noModelfile),
            }, ct).ConfigureAwait(false);
            if (result.MergedAdapterModules > 0) Console.Error.WriteLine($"merged {result.MergedAdapterModules} adapted projections");
            Console.Error.WriteLine("tensors: " + string.Join(", ", result.TensorTypes.Select(p => $"{p.Key} ×{p.Value}")));
            foreach (var warning in result.Warnings) Console.Error.WriteLine("warning: " + warning);
            if (result.ModelfilePath is { } modelfile)
                Console.Error.WriteLine($"Ollama: cd {Path.GetDirectoryName(modelfile)} && ollama create NAME -f {Path.GetFileName(modelfile)}");
            Console.Out.WriteLine(result.GgufPath);
            return 0;
        });
        return new Command("export", "Export a model for other runtimes") { gguf };
    }
}
