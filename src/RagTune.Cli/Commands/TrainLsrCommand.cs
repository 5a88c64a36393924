// `ragtune train lsr`: LM-supervised retriever training — the frozen generator's answer likelihoods teach the query encoder;
// checkpoints every --save-every steps and continues a killed run with --resume.
using RagTune.Knowledge.Rag;
using System.CommandLine;
using System.Globalization;
using RagTune.Engine.Training;

namespace RagTune.Cli.Commands;

internal static class TrainLsrCommand
{
    public static Command Create()
    {
        var generator = new Option<string>("--generator") { Description = "Frozen generator checkpoint folder", Required = true };
        var retriever = new Option<string>("--retriever") { Description = "Embedding checkpoint whose query side is trained", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL: {\"query\", \"answer\", \"chunks\": [retrieved top-k]}", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Run folder", Required = true };
        var tau = new Option<float>("--target-temperature") { Description = "τ of the target: softmax(log p(answer | chunk, query) / τ) over the chunks", DefaultValueFactory = _ => 0.1f };
        var tauR = new Option<float>("--retriever-temperature") { Description = "τ of the retriever: softmax(q·d / τ) over the chunks", DefaultValueFactory = _ => 0.1f };
        var lora = new Option<bool>("--lora") { Description = "Train LoRA adapters on the query side (encoders: query/key/value/dense; decoder embedders: every projection) instead of every weight" };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank r (with --lora)", DefaultValueFactory = _ => 8 };
        var alpha = new Option<float>("--lora-alpha") { Description = "LoRA alpha: adapters are scaled by alpha/r (with --lora)", DefaultValueFactory = _ => 16 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => 1 };
        var maxSteps = new Option<int>("--max-steps") { Description = "Stop after this many steps, one query each (0 = epochs)" };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate (AdamW)", DefaultValueFactory = _ => 1e-5f };
        var warmup = new Option<int>("--warmup-steps") { Description = "Steps of linear learning-rate warm-up from 0" };
        var decay = new Option<LearningRateDecay>("--scheduler") { Description = "Learning-rate decay after warm-up", DefaultValueFactory = _ => LearningRateDecay.Constant };
        var weightDecay = new Option<float>("--weight-decay") { Description = "AdamW decoupled weight decay", DefaultValueFactory = _ => 0.01f };
        var seed = new Option<ulong>("--seed") { Description = "Seed for data order and LoRA initialisation", DefaultValueFactory = _ => 42UL };
        var saveEvery = new Option<int>("--save-every") { Description = "Checkpoint every N steps" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the run folder's newest checkpoint (same settings only)" };
        var ragFormat = new Option<string?>("--rag-format") { Description = $"The generator's prompt format ({RagPromptFormat.FileName}); default: the one recorded in the generator's folder, else beside --data, else RAFT's default" };
        var command = new Command("lsr", "Train the query encoder on KL(generator's preference ‖ retriever) (REPLUG/RA-DIT LSR)")
        {
            generator, retriever, data, output, tau, tauR, lora, rank, alpha, epochs, maxSteps, lr, warmup, decay, weightDecay, seed, saveEvery, resume, ragFormat,
        };
        TerminationSignals.SetAction(command, async (p, cancellationToken) =>
        {
            var format = p.GetValue(ragFormat) is { } file ? RagPromptFormat.Load(file)
                : RagPromptFormat.TryLoadFrom(p.GetValue(generator)!) ?? RagPromptFormat.LoadBeside(p.GetValue(data)!);
            var trainer = new LsrTrainer(new LsrTrainingOptions
            {
                GeneratorPath = p.GetValue(generator)!, RetrieverPath = p.GetValue(retriever)!, DataPath = p.GetValue(data)!,
                UserTurn = (chunk, query) => format.BuildInstruction([chunk], query), SystemPrompt = format.SystemPrompt,
                OutputDirectory = p.GetValue(output)!, TargetTemperature = p.GetValue(tau), RetrieverTemperature = p.GetValue(tauR),
                Lora = p.GetValue(lora)
                    ? new LoraOptions { Rank = p.GetValue(rank), Alpha = p.GetValue(alpha), TargetModules = EmbeddingModels.DefaultLoraTargets(p.GetValue(retriever)!) }
                    : null,
                Epochs = p.GetValue(epochs), MaxSteps = p.GetValue(maxSteps), LearningRate = p.GetValue(lr), WarmupSteps = p.GetValue(warmup),
                Decay = p.GetValue(decay), WeightDecay = p.GetValue(weightDecay), Seed = p.GetValue(seed),
                CheckpointEvery = p.GetValue(saveEvery), Resume = p.GetValue(resume),
            });
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{trainer.Examples} queries; {trainer.Parameters.Count:N0} trainable parameters; {trainer.TotalSteps} steps"));
            var result = await trainer.RunAsync(new TrainCommand.InlineProgress(p => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.TotalSteps} KL {p.Loss:0.#####} lr {p.LearningRate:0.###e0} ETA {p.Eta:hh\\:mm\\:ss}"))), cancellationToken);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"generator scored {trainer.GeneratorScorings} queries (the rest from {LsrScoreJournal.FileName}); loss curve: {Path.Combine(p.GetValue(output)!, "loss.svg")}"));
            Console.Out.WriteLine(result.OutputPath);
            return 0;
        });
        return command;
    }
}
