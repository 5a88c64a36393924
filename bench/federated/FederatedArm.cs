// The federated arm, in this process: every round each site starts an SftTrainer from the global adapter (its LoRA A/B
// copied in), trains its local steps on its own data only, and the new global adapter is FedAvg.Aggregate of the sites'
// adapters weighted by their example counts — the aggregator's arithmetic. It does not launch `ragtune fed serve` and
// `ragtune fed join` processes (tests/RagTune.Cli.Tests/FedProcessTests.cs runs those); bench/RESULTS.md says so.
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Aggregation;

namespace RagTune.Bench.Federated;

internal static class FederatedArm
{
    public const string InProcess = "in-process FedAvg (engine types; not the `ragtune fed` processes)";

    public static async Task<string> RunAsync(string root, string baseModel, IReadOnlyList<string> siteData, int rounds,
        int stepsPerRound, SftTrainingOptions template, Action<string> say)
    {
        string output = Path.Combine(root, "students", "federated");
        string done = Path.Combine(output, "adapter", PeftAdapter.WeightsFileName);
        if (File.Exists(done))
        {
            say($"federated: reusing {Path.GetDirectoryName(done)}");
            return Path.GetDirectoryName(done)!;
        }
        List<(float[] A, float[] B)>? global = null;
        AdapterSet? last = null;
        for (int round = 1; round <= rounds; round++)
        {
            var results = new List<(List<(float[] A, float[] B)> Tensors, int Examples, double Loss)>();
            for (int s = 0; s < siteData.Count; s++)
            {
                var trainer = new SftTrainer(template with
                {
                    ModelPath = baseModel,
                    DataPath = siteData[s],
                    OutputDirectory = Path.Combine(output, $"round{round}", $"site{s}"),
                    MaxSteps = stepsPerRound,
                    // A fresh batch order every round, so a site does not replay the same examples each round.
                    Seed = template.Seed + (ulong)(1000 * round + s),
                    CheckpointEvery = 0,
                    Resume = false,
                });
                var adapters = trainer.Adapters!;
                // Round 1 starts every site from one initial adapter (Flower's initial parameters: one client's fresh
                // adapter), as a federation must; later rounds from the last FedAvg.
                global ??= adapters.Modules.Select(kv => ((float[])kv.Value.A.Clone(), (float[])kv.Value.B.Clone())).ToList();
                for (int m = 0; m < adapters.Modules.Count; m++)
                {
                    global[m].A.CopyTo(adapters.Modules[m].Value.A, 0);
                    global[m].B.CopyTo(adapters.Modules[m].Value.B, 0);
                }
                var result = await trainer.RunAsync(null, CancellationToken.None);
                int examples = result.TrainSamples;
                double loss = result.Losses.Average();
                say($"federated round {round}/{rounds}: site {s} trained {result.Steps} steps on {examples} examples, mean loss {loss:F3}");
                results.Add((adapters.Modules.Select(kv => ((float[])kv.Value.A.Clone(), (float[])kv.Value.B.Clone())).ToList(), examples, loss));
                last = adapters;
            }
            // FedAvg: each tensor the example-weighted mean of the sites' tensors — the aggregator's own arithmetic.
            var mean = FedAvg.Aggregate([.. results.Select(r =>
                ((IReadOnlyList<float[]>)[.. r.Tensors.SelectMany(t => new[] { t.A, t.B })], (long)r.Examples))]);
            global = [.. Enumerable.Range(0, mean.Length / 2).Select(m => (mean[2 * m], mean[2 * m + 1]))];
            say($"federated round {round}/{rounds}: FedAvg of {results.Count} sites, mean loss {results.Average(r => r.Loss):F3}");
        }
        for (int m = 0; m < last!.Modules.Count; m++)
        {
            global![m].A.CopyTo(last.Modules[m].Value.A, 0);
            global[m].B.CopyTo(last.Modules[m].Value.B, 0);
        }
        string adapter = Path.Combine(output, "adapter");
        PeftAdapter.Save(adapter, last, template.Lora, Path.GetFullPath(baseModel));
        return adapter;
    }
}
