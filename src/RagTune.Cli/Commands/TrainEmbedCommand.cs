// `ragtune train embed`: contrastive fine-tuning of an embedding model on FlagEmbedding JSONL — a BERT-family encoder (full or
// LoRA) or a decoder embedder such as Qwen3-Embedding (LoRA on its projections).
using System.CommandLine;
using System.Globalization;
using RagTune.Engine.Training;

namespace RagTune.Cli.Commands;

internal static class TrainEmbedCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Embedding checkpoint folder (BERT / XLM-R, or a Qwen2/Qwen3/LLaMA decoder embedder)", Required = true };
        var data = new Option<string>("--data") { Description = "FlagEmbedding JSONL: query, pos, neg, prompt", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Run folder", Required = true };
        var lora = new Option<bool>("--lora") { Description = "Train LoRA adapters (encoders: query/key/value/dense; decoders: every projection) instead of every weight" };
        var maxLength = new Option<int?>("--max-length") { Description = "Most tokens per text; longer texts are cut (default: the model's positions, or the tokenizer's model_max_length if smaller)" };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank r (with --lora)", DefaultValueFactory = _ => 8 };
        var alpha = new Option<float>("--lora-alpha") { Description = "LoRA alpha: adapters are scaled by alpha/r (with --lora)", DefaultValueFactory = _ => 16 };
        var group = new Option<int>("--group-size") { Description = "1 positive + N−1 hard negatives per query", DefaultValueFactory = _ => 4 };
        var temperature = new Option<float>("--temperature") { Description = "InfoNCE temperature τ: scores are cosine / τ", DefaultValueFactory = _ => 0.02f };
        var batch = new Option<int>("--batch-size") { Description = "Queries per step (the other queries' passages are in-batch negatives)", DefaultValueFactory = _ => 8 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => 1 };
        var maxSteps = new Option<int>("--max-steps") { Description = "Stop after this many steps (0 = epochs)" };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate (AdamW)", DefaultValueFactory = _ => 1e-5f };
        var warmup = new Option<int>("--warmup-steps") { Description = "Steps of linear learning-rate warm-up from 0" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for data order and LoRA initialisation", DefaultValueFactory = _ => 42UL };
        var saveEvery = new Option<int>("--save-every") { Description = "Checkpoint every N steps" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the run folder's newest checkpoint" };
        var command = new Command("embed", "Fine-tune an embedding model with InfoNCE (in-batch + hard negatives)")
        {
            model, data, output, lora, rank, alpha, maxLength, group, temperature, batch, epochs, maxSteps, lr, warmup, seed, saveEvery, resume,
        };
        TerminationSignals.SetAction(command, async (p, cancellationToken) =>
        {
            var options = new EmbeddingTrainingOptions
            {
                ModelPath = p.GetValue(model)!, DataPath = p.GetValue(data)!, OutputDirectory = p.GetValue(output)!,
                Lora = p.GetValue(lora)
                    ? new LoraOptions { Rank = p.GetValue(rank), Alpha = p.GetValue(alpha), TargetModules = EmbeddingModels.DefaultLoraTargets(p.GetValue(model)!) }
                    : null,
                MaxLength = p.GetValue(maxLength), GroupSize = p.GetValue(group), Temperature = p.GetValue(temperature), BatchSize = p.GetValue(batch),
                Epochs = p.GetValue(epochs), MaxSteps = p.GetValue(maxSteps), LearningRate = p.GetValue(lr),
                WarmupSteps = p.GetValue(warmup), Seed = p.GetValue(seed), CheckpointEvery = p.GetValue(saveEvery), Resume = p.GetValue(resume),
            };
            var trainer = new EmbeddingTrainer(options);
            if (trainer.TruncatedTexts > 0)
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"warning: {trainer.TruncatedTexts} training texts exceed {trainer.MaxLength} tokens and are truncated (--max-length)"));
            var result = await trainer.RunAsync(new TrainCommand.InlineProgress(p => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.TotalSteps} loss {p.Loss:0.####} lr {p.LearningRate:0.###e0} ETA {p.Eta:hh\\:mm\\:ss}"))), cancellationToken);
            Console.Out.WriteLine(result.OutputPath);
            return 0;
        });
        return command;
    }
}
