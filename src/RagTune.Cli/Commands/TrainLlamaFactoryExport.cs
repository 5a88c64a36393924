// `ragtune train export-llamafactory`: the same SFT run as a LLaMA-Factory config (YAML) + dataset_info.json + the data
// converted to sharegpt/OpenAI messages, so a user who outgrows the CPU trains on GPUs and brings the PEFT adapter back.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RagTune.Engine;
using RagTune.Engine.Chat;
using RagTune.Engine.Models;
using RagTune.Engine.Training;

namespace RagTune.Cli.Commands;

internal static class LlamaFactoryExport
{
    public static Command Create()
    {
        var flags = new TrainCommand.SftFlags();
        var full = new Option<bool>("--full") { Description = "Full fine-tuning instead of LoRA" };
        var template = new Option<string?>("--template") { Description = "LLaMA-Factory chat template (default: from the model's chat template: qwen, qwen3, llama3, chatml)" };
        var precision = new Option<string?>("--precision") { Description = "LLaMA-Factory training precision: bf16, fp16 or fp32 (default: the checkpoint's torch_dtype)" };
        precision.AcceptOnlyFromAmong("bf16", "fp16", "fp32");
        var command = new Command("export-llamafactory", "Write a LLaMA-Factory YAML + dataset_info.json for the same run");
        flags.AddTo(command, lora: true, scratch: true);
        command.Options.Add(full);
        command.Options.Add(template);
        command.Options.Add(precision);
        command.SetAction((parse, _) =>
        {
            var o = flags.Map(parse, parse.GetValue(full));
            Console.Out.WriteLine(Write(o, parse.GetValue(template), parse.GetValue(precision)));
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>Writes ragtune_sft.yaml, dataset_info.json and ragtune_sft.json (the conversations) into the output folder;
    /// returns the YAML path. <paramref name="template"/> and <paramref name="precision"/> default to the model's.</summary>
    public static string Write(SftTrainingOptions o, string? template = null, string? precision = null)
    {
        template ??= TemplateFor(o.ModelPath);
        precision ??= PrecisionFor(o.ModelPath);
        Directory.CreateDirectory(o.OutputDirectory);
        var conversations = ConversationReader.Read(o.DataPath).Select(turns => new
        {
            messages = turns.Select(t => new { role = t.Role, content = t.Content }).ToArray(),
        });
        File.WriteAllText(Path.Combine(o.OutputDirectory, "ragtune_sft.json"),
            JsonSerializer.Serialize(conversations, new JsonSerializerOptions { WriteIndented = true }));
        var info = new Dictionary<string, object>
        {
            ["ragtune_sft"] = new Dictionary<string, object>
            {
                ["file_name"] = "ragtune_sft.json",
                ["formatting"] = "sharegpt",
                ["columns"] = new Dictionary<string, string> { ["messages"] = "messages" },
                ["tags"] = new Dictionary<string, string>
                {
                    ["role_tag"] = "role", ["content_tag"] = "content", ["user_tag"] = "user", ["assistant_tag"] = "assistant", ["system_tag"] = "system",
                },
            },
        };
        File.WriteAllText(Path.Combine(o.OutputDirectory, "dataset_info.json"),
            JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
        string F(IFormattable v) => v.ToString(null, CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            "### model",
            $"model_name_or_path: {Quote(Path.GetFullPath(o.ModelPath))}",
            "",
            "### method",
            "stage: sft",
            "do_train: true",
            $"finetuning_type: {(o.FullFineTune ? "full" : "lora")}",
        };
        if (!o.FullFineTune)
            lines.AddRange([
                $"lora_rank: {o.Lora.Rank}",
                $"lora_alpha: {F(o.Lora.Alpha)}",
                $"lora_dropout: {F(o.Lora.Dropout)}",
                $"lora_target: {(o.Lora.TargetModules.SequenceEqual(LoraOptions.AllDecoderTargets) ? "all" : string.Join(",", o.Lora.TargetModules))}",
                $"use_rslora: {(o.Lora.UseRsLora ? "true" : "false")}",
            ]);
        lines.AddRange([
            "",
            "### dataset",
            "dataset: ragtune_sft",
            $"dataset_dir: {Quote(Path.GetFullPath(o.OutputDirectory))}",
            $"template: {template}",
            $"cutoff_len: {o.MaxLength}",
            "",
            "### output",
            $"output_dir: {Quote(Path.GetFullPath(Path.Combine(o.OutputDirectory, "llamafactory_output")))}",
            $"save_steps: {(o.CheckpointEvery > 0 ? o.CheckpointEvery : 500)}",
            "",
            "### train",
            $"per_device_train_batch_size: {o.BatchSize}",
            $"gradient_accumulation_steps: {o.GradientAccumulationSteps}",
            $"learning_rate: {F(o.LearningRate)}",
            $"num_train_epochs: {o.Epochs}.0",
            $"max_steps: {(o.MaxSteps > 0 ? o.MaxSteps : -1)}",
            $"lr_scheduler_type: {o.Decay.ToString().ToLowerInvariant()}",
            $"warmup_steps: {o.WarmupSteps}",
            $"weight_decay: {F(o.WeightDecay)}",
            $"max_grad_norm: {F(o.MaxGradNorm)}",
            $"seed: {o.Seed}",
            $"val_size: {F(o.ValidationFraction)}",
            $"eval_steps: {(o.EvalEvery > 0 ? o.EvalEvery : 500)}",
            $"eval_strategy: {(o.ValidationFraction > 0 ? "steps" : "no")}",
        ]);
        // LLaMA-Factory trains in float32 unless bf16 or fp16 is set.
        if (precision != "fp32") lines.Add($"{precision}: true");
        string yaml = Path.Combine(o.OutputDirectory, "ragtune_sft.yaml");
        File.WriteAllText(yaml, string.Join("\n", lines) + "\n");
        return yaml;
    }

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    /// <summary>LLaMA-Factory's template for the model's chat template family: Qwen3 → qwen3, LLaMA-3 → llama3, ChatML →
    /// qwen for Qwen2 checkpoints (Qwen2/Qwen2.5) and chatml otherwise.</summary>
    internal static string TemplateFor(string modelPath)
    {
        ChatTemplate family;
        try
        {
            family = ChatTemplate.Load(modelPath);
        }
        catch (EngineException e)
        {
            throw new EngineException($"{e.Message}; pass --template with the LLaMA-Factory template name");
        }
        return family switch
        {
            Qwen3ChatTemplate => "qwen3",
            Llama3ChatTemplate => "llama3",
            _ when ModelConfig.Load(modelPath).Architecture == "Qwen2ForCausalLM" => "qwen",
            _ => "chatml",
        };
    }

    /// <summary>bf16 / fp16 / fp32 from config.json's torch_dtype (bf16 when it names none).</summary>
    internal static string PrecisionFor(string modelPath) => ModelConfig.Load(modelPath).TorchDtype switch
    {
        "float32" => "fp32",
        "float16" => "fp16",
        _ => "bf16",
    };
}
