// `ragtune generate --model DIR --prompt TEXT`: streams a local decoder's continuation to stdout and prints prefill and
// decode speed on stderr. --chat wraps the prompt in the model's chat format; --prompt-ids feeds raw token ids; --adapter
// runs with a PEFT LoRA adapter applied unmerged (the fused decode path includes it).
using System.CommandLine;
using System.Globalization;
using RagTune.Engine;
using RagTune.Engine.Chat;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Kernels;
using RagTune.Engine.Training;

namespace RagTune.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint folder (config.json, safetensors, tokenizer) or a GGUF file (llama, qwen2, qwen3, internlm2, gpt2)", Required = true };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Prompt text (special tokens in it are recognised)" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt as comma-separated token ids, e.g. 1,2,3" };
        var chat = new Option<bool>("--chat") { Description = "Treat --prompt as a user message and apply the checkpoint's chat template (Qwen2/2.5/3 ChatML or LLaMA-3/3.1)" };
        var system = new Option<string?>("--system") { Description = "System message for --chat" };
        var noThink = new Option<bool>("--no-think") { Description = "With --chat: open the answer with an empty <think> block (Qwen3 enable_thinking=False)" };
        var printIds = new Option<bool>("--print-ids") { Description = "After the text, print the generated token ids on one line" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens; 0 = off", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass; 1 = off", DefaultValueFactory = _ => 1f };
        var repetitionPenalty = new Option<float>("--repetition-penalty") { Description = "HF repetition penalty; 1 = off", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed for sampling (default: random)" };
        var stop = new Option<string[]>("--stop") { Description = "Stop at this string (repeatable)" };
        var dtype = new Option<string>("--dtype")
        {
            Description = "Weights in memory: auto (as stored; f16 widened to f32), f32, or bf16 (half the memory traffic)",
            DefaultValueFactory = _ => "auto",
        };
        dtype.AcceptOnlyFromAmong("auto", "f32", "bf16");
        var quantize = new Option<string?>("--quantize") { Description = "Quantise weights at load: q8 (int8 blocks of 32, Q8_0-style; fastest decode, small accuracy cost)" };
        quantize.AcceptOnlyFromAmong("q8");
        var adapter = new Option<string?>("--adapter") { Description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors): LoRA, applied unmerged, or prompt tuning, whose virtual tokens run before the prompt" };
        var adapterScale = new Option<float>("--adapter-scale") { Description = "Multiply the adapter's alpha/r scale by this (as llama.cpp's --lora-scaled)", DefaultValueFactory = _ => 1f };

        var command = new Command("generate", "Generate text with a local Qwen2/Qwen3/LLaMA checkpoint")
        {
            model, prompt, promptIds, chat, system, noThink, printIds, maxTokens, temperature, topK, topP, repetitionPenalty, seed, stop,
            dtype, quantize, adapter, adapterScale,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? text = parse.GetValue(prompt), ids = parse.GetValue(promptIds);
            if ((text is null) == (ids is null))
                throw new ArgumentException("give exactly one of --prompt and --prompt-ids");
            if (parse.GetValue(chat) && text is null)
                throw new ArgumentException("--chat needs --prompt (the user message)");

            var generator = TextGenerator.Load(parse.GetValue(model)!, WeightFormatOf(parse.GetValue(dtype)!, parse.GetValue(quantize)));
            var stopIds = new List<int>(generator.EosTokenIds);
            int[] input;
            if (ids is not null)
                input = ParseIds(ids);
            else if (parse.GetValue(chat))
            {
                var template = ChatTemplate.Load(parse.GetValue(model)!, generator.Tokenizer);
                var turns = new List<ChatTurn>();
                if (parse.GetValue(system) is { } s) turns.Add(new ChatTurn("system", s));
                turns.Add(new ChatTurn("user", text!));
                string formatted = template.Render(turns, new ChatTemplateOptions { EnableThinking = parse.GetValue(noThink) ? false : null });
                input = generator.Tokenizer.Encode(formatted, addSpecialTokens: false, parseSpecial: true);
                stopIds.AddRange(template.StopTokenIds(generator.Tokenizer));
            }
            else
                input = generator.EncodePrompt(text!);

            string? adapterDir = parse.GetValue(adapter);
            bool promptTuned = adapterDir is not null && PromptTuning.IsPromptTuning(adapterDir);
            var adapters = adapterDir is not null && !promptTuned
                ? PeftAdapter.Load(adapterDir, generator.Model.LayerLinears).Scaled(parse.GetValue(adapterScale))
                : null;
            var options = new GenerationOptions
            {
                Adapters = adapters,
                PromptTuning = promptTuned ? PromptTuning.Load(adapterDir!, generator.Model.Config.HiddenSize) : null,
                MaxTokens = parse.GetValue(maxTokens),
                StopTokenIds = stopIds,
                StopStrings = parse.GetValue(stop) ?? [],
                Sampling = new SamplingOptions
                {
                    Temperature = parse.GetValue(temperature),
                    TopK = parse.GetValue(topK),
                    TopP = parse.GetValue(topP),
                    RepetitionPenalty = parse.GetValue(repetitionPenalty),
                    Seed = parse.GetValue(seed),
                },
            };
            var generated = new List<int>();
            GenerationUsage? usage = null;
            FinishReason? finish = null;
            var stdout = Console.Out;
            await foreach (var update in generator.GenerateAsync(input, options, cancellationToken))
            {
                stdout.Write(update.Text);
                stdout.Flush();
                if (update.TokenId is { } id) generated.Add(id);
                usage = update.Usage ?? usage;
                finish = update.FinishReason ?? finish;
            }
            stdout.WriteLine();
            if (parse.GetValue(printIds))
                stdout.WriteLine(string.Join(",", generated));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"prefill: {usage!.PromptTokens} tokens, {usage.PrefillTokensPerSecond:0.0} tok/s; "
                + $"decode: {usage.CompletionTokens} tokens, {usage.DecodeTokensPerSecond:0.0} tok/s; finish: {finish.ToString()!.ToLowerInvariant()}"));
            return 0;
        });
        return command;
    }

    internal static WeightFormat WeightFormatOf(string dtype, string? quantize)
    {
        if (quantize is not null && dtype != "auto")
            throw new ArgumentException($"--quantize {quantize} and --dtype {dtype} both choose the weight format: give one");
        return quantize is not null ? WeightFormat.Q8 : dtype switch
        {
            "f32" => WeightFormat.F32,
            "bf16" => WeightFormat.BF16,
            _ => WeightFormat.Checkpoint,
        };
    }

    internal static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw new ArgumentException($"--prompt-ids: '{parts[i]}' is not a token id (expected comma-separated non-negative integers)");
        return ids.Length > 0 ? ids : throw new ArgumentException("--prompt-ids: no ids given");
    }
}
