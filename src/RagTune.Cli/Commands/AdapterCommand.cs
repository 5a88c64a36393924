// `ragtune adapter inspect|merge`: describe a PEFT LoRA adapter folder; fold one into its base model and write a full
// Hugging Face checkpoint (W' = W + scale·B·A; config and tokenizer files copied).
using RagTune.Knowledge.Rag;
using System.CommandLine;
using System.Globalization;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Training;

namespace RagTune.Cli.Commands;

public static class AdapterCommand
{
    public static Command Create()
    {
        var command = new Command("adapter", "Inspect or merge PEFT LoRA adapters");
        var dir = new Argument<string>("adapter") { Description = "Adapter folder (adapter_config.json + adapter_model.safetensors)" };
        var inspect = new Command("inspect", "Describe a LoRA adapter") { dir };
        inspect.SetAction((parse, _) =>
        {
            string path = parse.GetValue(dir)!;
            var o = PeftAdapter.ReadConfig(path);
            using var file = SafeTensorFile.Open(Path.Combine(path, PeftAdapter.WeightsFileName));
            long parameters = file.Tensors.Sum(t => t.ElementCount);
            int modules = file.Tensors.Count / 2;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"r:              {o.Rank}"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lora_alpha:     {o.Alpha} (scale {(o.UseRsLora ? o.Alpha / MathF.Sqrt(o.Rank) : o.Alpha / o.Rank)}{(o.UseRsLora ? ", rsLoRA" : "")})"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lora_dropout:   {o.Dropout}"));
            Console.Out.WriteLine($"target_modules: {string.Join(", ", o.TargetModules)}");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"modules:        {modules}"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parameters:     {parameters:N0}"));
            return Task.FromResult(0);
        });
        var adapter = new Argument<string>("adapter") { Description = "Adapter folder" };
        var model = new Option<string>("--model") { Description = "Base checkpoint folder", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the merged checkpoint", Required = true };
        var merge = new Command("merge", "Fold an adapter into its base model and write a full Hugging Face checkpoint") { adapter, model, output };
        merge.SetAction((parse, _) =>
        {
            string basePath = parse.GetValue(model)!;
            var decoder = DecoderModel.Load(basePath);
            int n = PeftAdapter.Load(parse.GetValue(adapter)!, decoder.LayerLinears).MergeInto(decoder.LayerLinears);
            string outDir = parse.GetValue(output)!;
            HfCheckpointWriter.Save(outDir, decoder, basePath);
            RagPromptFormat.CarryOver(parse.GetValue(adapter)!, outDir);
            Console.Error.WriteLine($"merged {n} adapted projections");
            Console.Out.WriteLine(outDir);
            return Task.FromResult(0);
        });
        command.Subcommands.Add(inspect);
        command.Subcommands.Add(merge);
        return command;
    }
}
