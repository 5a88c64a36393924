// `ragtune train sft|full|embed|lsr|export-llamafactory`: LoRA or full fine-tuning of a decoder on chat/alpaca/sharegpt data, with
// checkpoints, `--resume` and a progress bar; or the same run handed to LLaMA-Factory on a GPU machine.
using RagTune.Knowledge.Rag;
using System.CommandLine;
using System.Globalization;
using RagTune.Engine;
using RagTune.Engine.Training;
using Spectre.Console;

namespace RagTune.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Fine-tune a model on your data (LoRA or full) or export the run for GPU trainers");
        command.Subcommands.Add(CreateSft("sft", "LoRA fine-tuning of a decoder; writes a PEFT adapter", full: false));
        command.Subcommands.Add(CreateSft("full", "Full fine-tuning of every weight; writes a Hugging Face checkpoint", full: true));
        command.Subcommands.Add(TrainEmbedCommand.Create());
        command.Subcommands.Add(TrainLsrCommand.Create());
        command.Subcommands.Add(TrainMineNegativesCommand.Create());
        command.Subcommands.Add(LlamaFactoryExport.Create());
        return command;
    }

    /// <summary>The flags shared by `train sft`, `train full` and `train export-llamafactory`.</summary>
    internal sealed class SftFlags
    {
        public Option<string> Model { get; } = new("--model") { Description = "Base checkpoint folder" };
        public Option<string> InitConfig { get; } = new("--init-config") { Description = "Train from random initialisation: a config.json (Qwen2/Qwen3/LLaMA) or its folder (train full only)" };
        public Option<string> TokenizerDir { get; } = new("--tokenizer") { Description = "Tokenizer folder for --init-config (tokenizer.json, tokenizer_config.json)" };
        public Option<string> Data { get; } = new("--data") { Description = "Training data: chat JSONL (RAFT export), alpaca or sharegpt", Required = true };
        public Option<string> Output { get; } = new("--output", "-o") { Description = "Run folder", Required = true };
        public Option<int> Rank { get; } = new("--lora-rank") { Description = "LoRA rank r: the inner size of each adapter (more = more capacity, more memory)", DefaultValueFactory = _ => 8 };
        public Option<float> Alpha { get; } = new("--lora-alpha") { Description = "LoRA alpha: adapters are scaled by alpha/r (alpha/√r with --rslora)", DefaultValueFactory = _ => 16 };
        public Option<float> Dropout { get; } = new("--lora-dropout") { Description = "Dropout on the adapters' input during training", DefaultValueFactory = _ => 0.05f };
        public Option<string> Targets { get; } = new("--lora-target") { Description = "Comma-separated modules or 'all'", DefaultValueFactory = _ => "all" };
        public Option<bool> RsLora { get; } = new("--rslora") { Description = "Scale by alpha/√r (rsLoRA)" };
        public Option<int> MaxLength { get; } = new("--max-length") { Description = "Longest sample in tokens; longer ones are dropped (or shortened with --truncate-documents)", DefaultValueFactory = _ => 1024 };
        public Option<bool> Truncate { get; } = new("--truncate-documents") { Description = "Shorten the documents of over-long samples instead of dropping them" };
        public Option<int> Batch { get; } = new("--batch-size") { Description = "Samples per forward/backward pass", DefaultValueFactory = _ => 1 };
        public Option<int> Accumulation { get; } = new("--grad-accum") { Description = "Batches whose gradients are summed into one optimizer step", DefaultValueFactory = _ => 8 };
        public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => 1 };
        public Option<int> MaxSteps { get; } = new("--max-steps") { Description = "Stop after this many optimizer steps (0 = epochs)" };
        public Option<float> LearningRate { get; } = new("--lr") { Description = "Peak learning rate (AdamW)", DefaultValueFactory = _ => 2e-4f };
        public Option<int> Warmup { get; } = new("--warmup-steps") { Description = "Steps of linear learning-rate warm-up from 0" };
        public Option<LearningRateDecay> Decay { get; } = new("--scheduler") { Description = "Learning-rate decay after warm-up", DefaultValueFactory = _ => LearningRateDecay.Cosine };
        public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW decoupled weight decay" };
        public Option<float> ClipNorm { get; } = new("--max-grad-norm") { Description = "Clip the gradient's global L2 norm to this (0 = no clipping)", DefaultValueFactory = _ => 1f };
        public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed for data order, dropout, validation split and initialisation", DefaultValueFactory = _ => 42UL };
        public Option<double> Validation { get; } = new("--val-fraction") { Description = "Hold out this share of the data (0–1) to report an eval loss" };
        public Option<int> EvalEvery { get; } = new("--eval-every") { Description = "Compute the eval loss every N steps (with --val-fraction; 0 = at the end only)" };
        public Option<int> SaveEvery { get; } = new("--save-every") { Description = "Checkpoint every N steps" };
        public Option<bool> Resume { get; } = new("--resume") { Description = "Continue from the run folder's newest checkpoint" };
        public Option<bool> Recompute { get; } = new("--recompute") { Description = "Gradient checkpointing: re-run each layer's forward in the backward instead of keeping its activations (less memory, about a third more time); on by default for sequences over 1,024 tokens" };
        public Option<bool> Pack { get; } = new("--pack") { Description = "Sequence packing: put several short samples in one row of up to --max-length tokens, each attending only to itself (same loss, fewer rows)" };
        public Option<string> DType { get; } = CreateDType();
        public Option<string?> Quantize { get; } = CreateQuantize();
        public Option<string> BasePrecision { get; } = CreateBasePrecision();
        public Option<string> Method { get; } = CreateMethod();
        public Option<int> VirtualTokens { get; } = new("--virtual-tokens") { Description = "Prompt tuning: virtual tokens (trained embeddings) put before every example", DefaultValueFactory = _ => 20 };
        public Option<string?> InitText { get; } = new("--init-text") { Description = "Prompt tuning: initialise the virtual tokens from this text's token embeddings (PEFT's prompt_tuning_init TEXT); default random" };

        /// <summary>`train sft` only: the parameter-efficient method and prompt tuning's flags.</summary>
        public void AddMethodTo(Command c)
        {
            c.Options.Add(Method);
            c.Options.Add(VirtualTokens);
            c.Options.Add(InitText);
        }
        public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "One line per step instead of a progress bar" };

        /// <summary>Adds the flags that apply: <paramref name="lora"/> the adapter and frozen-base flags, <paramref name="scratch"/>
        /// the random-initialisation flags of full fine-tuning (`train export-llamafactory` takes both: --full picks).</summary>
        public void AddTo(Command c, bool lora, bool scratch)
        {
            Option[] loraOnly = [Rank, Alpha, Dropout, Targets, RsLora, DType, Quantize, BasePrecision];
            Option[] scratchOnly = [InitConfig, TokenizerDir];
            foreach (var o in new Option[] { Model, InitConfig, TokenizerDir, Data, Output, Rank, Alpha, Dropout, Targets, RsLora, MaxLength, Truncate, Batch, Accumulation,
                Epochs, MaxSteps, LearningRate, Warmup, Decay, WeightDecay, ClipNorm, Seed, Validation, EvalEvery, SaveEvery, Resume, Recompute, Pack, DType, Quantize, BasePrecision, Quiet })
            {
                if ((!lora && loraOnly.Contains(o)) || (!scratch && scratchOnly.Contains(o))) continue;
                c.Options.Add(o);
            }
        }

        /// <summary>`fed join`: the flags of a LoRA run that a federated site trains each round with (no run folder, validation
        /// split, checkpoints or resume: the site's --work folder holds the rounds).</summary>
        public void AddSiteTo(Command c)
        {
            foreach (var o in new Option[] { Model, Data, Rank, Alpha, Dropout, Targets, RsLora, MaxLength, Truncate, Batch, Accumulation,
                Epochs, MaxSteps, LearningRate, Warmup, Decay, WeightDecay, ClipNorm, Seed, Recompute, Pack, DType, Quantize, BasePrecision })
                c.Options.Add(o);
        }

        /// <summary>The option's value, or <paramref name="absent"/> when the command does not have it (`fed join` lacks the run-folder flags).</summary>
        private static T Get<T>(ParseResult p, Option<T> option, T absent) =>
            p.CommandResult.Command.Options.Contains(option) ? p.GetValue(option)! : absent;

        public SftTrainingOptions Map(ParseResult p, bool full)
        {
            return new SftTrainingOptions
            {
                ModelPath = ResolveModel(p, full), DataPath = p.GetValue(Data)!, OutputDirectory = Get(p, Output, "")!, FullFineTune = full,
                Lora = full ? new LoraOptions() : MapLora(p),
                PromptTuning = MapPromptTuning(p),
                MaxLength = p.GetValue(MaxLength), TruncateDocuments = p.GetValue(Truncate), BatchSize = p.GetValue(Batch),
                GradientAccumulationSteps = p.GetValue(Accumulation), Epochs = p.GetValue(Epochs), MaxSteps = p.GetValue(MaxSteps),
                LearningRate = p.GetValue(LearningRate), WarmupSteps = p.GetValue(Warmup), Decay = p.GetValue(Decay),
                WeightDecay = p.GetValue(WeightDecay), MaxGradNorm = p.GetValue(ClipNorm), Seed = p.GetValue(Seed),
                ValidationFraction = Get(p, Validation, 0), EvalEvery = Get(p, EvalEvery, 0), CheckpointEvery = Get(p, SaveEvery, 0),
                Resume = Get(p, Resume, false), RecomputeActivations = p.GetValue(Recompute) ? true : null, Pack = p.GetValue(Pack),
                BaseWeights = full ? RagTune.Engine.Kernels.WeightFormat.Checkpoint : BaseWeights(p),
            };
        }

        private PromptTuningOptions? MapPromptTuning(ParseResult p)
        {
            if (!p.CommandResult.Command.Options.Contains(Method) || p.GetValue(Method) != "prompt-tuning")
            {
                if (p.CommandResult.Command.Options.Contains(InitText) && p.GetValue(InitText) is not null)
                    throw new ArgumentException("--init-text is for --method prompt-tuning");
                return null;
            }
            return new PromptTuningOptions { NumVirtualTokens = p.GetValue(VirtualTokens), InitText = p.GetValue(InitText) };
        }

        private static Option<string> CreateMethod()
        {
            var option = new Option<string>("--method")
            {
                Description = "lora (adapters on the projections) or prompt-tuning (only virtual-token embeddings are trained; PEFT PROMPT_TUNING)",
                DefaultValueFactory = _ => "lora",
            };
            option.AcceptOnlyFromAmong("lora", "prompt-tuning");
            return option;
        }

        private LoraOptions MapLora(ParseResult p)
        {
            string targets = p.GetValue(Targets)!;
            return new LoraOptions
            {
                Rank = p.GetValue(Rank), Alpha = p.GetValue(Alpha), Dropout = p.GetValue(Dropout), UseRsLora = p.GetValue(RsLora),
                TargetModules = targets == "all" ? LoraOptions.AllDecoderTargets : targets.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            };
        }

        /// <summary>--base-precision, or the older --dtype / --quantize (one of them may choose).</summary>
        private RagTune.Engine.Kernels.WeightFormat BaseWeights(ParseResult p)
        {
            string precision = p.GetValue(BasePrecision)!;
            var older = GenerateCommand.WeightFormatOf(p.GetValue(DType)!, p.GetValue(Quantize));
            if (precision == "auto") return older;
            if (older != RagTune.Engine.Kernels.WeightFormat.Checkpoint)
                throw new ArgumentException($"--base-precision {precision} and --dtype/--quantize both choose the base weights: give one");
            return precision switch
            {
                "f32" => RagTune.Engine.Kernels.WeightFormat.F32,
                "bf16" => RagTune.Engine.Kernels.WeightFormat.BF16,
                "q8" => RagTune.Engine.Kernels.WeightFormat.Q8,
                _ => RagTune.Engine.Kernels.WeightFormat.Q4_K,
            };
        }

        private static Option<string> CreateBasePrecision()
        {
            var option = new Option<string>("--base-precision")
            {
                Description = "Frozen base weights for LoRA: auto (as stored; a GGUF keeps its own quantised blocks), f32, bf16, q8 "
                    + "(int8 blocks of 32) or q4_k (4-bit K-quants, Q4_0 for rows that are not whole 256-blocks: QLoRA). "
                    + "The training GEMMs widen them a tile at a time; no float copy of the base is made",
                DefaultValueFactory = _ => "auto",
            };
            option.AcceptOnlyFromAmong("auto", "f32", "bf16", "q8", "q4_k");
            return option;
        }

        private static Option<string> CreateDType()
        {
            var option = new Option<string>("--dtype")
            {
                Description = "Frozen base weights for LoRA: auto (as stored, read in place), f32, or bf16 (half the memory)",
                DefaultValueFactory = _ => "auto",
            };
            option.AcceptOnlyFromAmong("auto", "f32", "bf16");
            return option;
        }

        private static Option<string?> CreateQuantize()
        {
            var option = new Option<string?>("--quantize") { Description = "Frozen base weights for LoRA quantised at load: q8 (int8 blocks of 32)" };
            option.AcceptOnlyFromAmong("q8");
            return option;
        }

        /// <summary>--model, or for `train full --init-config CONFIG --tokenizer DIR` a freshly initialised checkpoint in the
        /// run folder's init/ (deterministic from --seed, so a --resume recreates the same starting point).</summary>
        private string ResolveModel(ParseResult p, bool full)
        {
            string? model = p.GetValue(Model);
            // `train sft` has no --init-config; `train export-llamafactory` has it for --full.
            string? config = p.CommandResult.Command.Options.Contains(InitConfig) ? p.GetValue(InitConfig) : null;
            if (config is null)
                return model ?? throw new EngineException(full ? "train full: give --model, or --init-config and --tokenizer" : "train: --model is required");
            if (!full) throw new EngineException("--init-config: random initialisation is for `train full` only (LoRA needs trained base weights)");
            string? tokenizer = p.GetValue(TokenizerDir);
            if (model is not null) throw new EngineException("--init-config and --model exclude each other: train from a checkpoint or from scratch");
            if (tokenizer is null) throw new EngineException("--init-config needs --tokenizer DIR (the folder with tokenizer.json)");
            string configFile = Directory.Exists(config) ? Path.Combine(config, "config.json") : config;
            if (!File.Exists(configFile)) throw new EngineException($"{configFile}: config file not found");
            if (!File.Exists(Path.Combine(tokenizer, "tokenizer.json"))) throw new EngineException($"{tokenizer}: no tokenizer.json in the tokenizer folder");
            string run = Get(p, Output, "")!;
            string source = Path.Combine(run, "init-source");
            Directory.CreateDirectory(source);
            foreach (var file in Directory.EnumerateFiles(tokenizer).Where(f => Path.GetFileName(f).StartsWith("tokenizer", StringComparison.Ordinal)
                || Path.GetFileName(f) is "special_tokens_map.json" or "vocab.json" or "merges.txt" or "generation_config.json"))
                File.Copy(file, Path.Combine(source, Path.GetFileName(file)), overwrite: true);
            File.Copy(configFile, Path.Combine(source, "config.json"), overwrite: true);
            string init = Path.Combine(run, "init");
            HfCheckpointWriter.InitializeRandom(source, init, p.GetValue(Seed));
            return init;
        }
    }

    private static Command CreateSft(string name, string description, bool full)
    {
        var flags = new SftFlags();
        var command = new Command(name, description);
        flags.AddTo(command, lora: !full, scratch: full);
        if (!full) flags.AddMethodTo(command);
        TerminationSignals.SetAction(command, async (parse, cancellationToken) =>
        {
            var options = flags.Map(parse, full);
            var trainer = new SftTrainer(options);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{trainer.TrainSamples} training samples, {trainer.Dropped} dropped (longer than {options.MaxLength} tokens), "
                + $"{trainer.Truncated} with truncated documents; {trainer.Parameters.Count:N0} trainable parameters; {trainer.TotalSteps} steps"));
            if (trainer.Truncated > 0)
                Console.Error.WriteLine($"warning: {trainer.Truncated} samples had their documents truncated to fit --max-length");
            var result = await RunWithProgressAsync(trainer, parse.GetValue(flags.Quiet), cancellationToken);
            // The model learned the data's prompt: it carries the format so evaluation and serving build the same one.
            if (RagPromptFormat.CarryOver(options.DataPath, result.OutputPath) is not null)
                Console.Error.WriteLine($"prompt format: {Path.Combine(result.OutputPath, RagPromptFormat.FileName)}");
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"final loss {result.Losses[^1]:0.####}{(result.EvalLosses.Count > 0 ? $", eval loss {result.EvalLosses[^1].Loss:0.####}" : "")}; loss curve: {Path.Combine(options.OutputDirectory, "loss.svg")}"));
            Console.Out.WriteLine(result.OutputPath);
            return 0;
        });
        return command;
    }

    private static async Task<TrainingResult> RunWithProgressAsync(SftTrainer trainer, bool quiet, CancellationToken ct)
    {
        var console = CliConsole.Error();
        if (quiet || !console.Profile.Capabilities.Interactive)
            return await trainer.RunAsync(new InlineProgress(p => Console.Error.WriteLine(Describe(p))), ct);
        TrainingResult result = null!;
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("training", maxValue: trainer.TotalSteps);
                result = await trainer.RunAsync(new InlineProgress(p =>
                {
                    task.Value = p.Step;
                    task.Description = Markup.Escape(Describe(p));
                }), ct);
            });
        return result;
    }

    internal static string Describe(TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"step {p.Step}/{p.TotalSteps} loss {p.Loss:0.####}{(p.EvalLoss is { } e ? $" eval {e:0.####}" : "")} lr {p.LearningRate:0.###e0} "
        + $"{p.TokensPerSecond:0} tok/s ETA {p.Eta:hh\\:mm\\:ss}");

    /// <summary>Reports synchronously on the trainer's thread (Progress&lt;T&gt; would post and reorder).</summary>
    internal sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
