// `ragtune train lsr`: LM-supervised retriever training — the frozen generator's answer likelihoods teach the query encoder.
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
        var tau = new Option<float>("--target-temperature") { DefaultValueFactory = _ => 0.1f };
        var tauR = new Option<float>("--retriever-temperature") { DefaultValueFactory = _ => 0.1f };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 1 };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => 1e-5f };
        var command = new Command("lsr", "Train the query encoder on KL(generator's preference ‖ retriever) (REPLUG/RA-DIT LSR)")
        {
            generator, retriever, data, output, tau, tauR, epochs, lr,
        };
        command.SetAction(async (p, cancellationToken) =>
        {
            var trainer = new LsrTrainer(new LsrTrainingOptions
            {
                GeneratorPath = p.GetValue(generator)!, RetrieverPath = p.GetValue(retriever)!, DataPath = p.GetValue(data)!,
                OutputDirectory = p.GetValue(output)!, TargetTemperature = p.GetValue(tau), RetrieverTemperature = p.GetValue(tauR),
                Epochs = p.GetValue(epochs), LearningRate = p.GetValue(lr),
            });
            var result = await trainer.RunAsync(new TrainCommand.InlineProgress(p => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.TotalSteps} KL {p.Loss:0.#####}"))), cancellationToken);
            Console.Out.WriteLine(result.OutputPath);
            return 0;
        });
        return command;
    }
}
