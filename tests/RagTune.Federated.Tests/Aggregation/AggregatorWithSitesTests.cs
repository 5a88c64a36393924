// Both halves in one process: two FederatedSites (the tiny Qwen2 model, each with its own facts) join a FedAvgAggregator
// with site keys and no initial adapter, so round 0 comes from one site's GetPropertiesRes + GetParametersRes as Flower
// starts; after the round the global adapter is the example-weighted mean of what the sites trained, and it loads onto
// the model the way `generate --adapter` loads an adapter.
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Aggregation;
using RagTune.Federated.Protocol;
using RagTune.Federated.Sites;
using static RagTune.Federated.Tests.Aggregation.AggregatorFixture;

namespace RagTune.Federated.Tests.Aggregation;

public sealed class AggregatorWithSitesTests
{
    private static string Model => Path.Combine(AppContext.BaseDirectory, "TestData", "models", "qwen2-tiny");

    private static string WriteChat(string path, IEnumerable<(string Q, string A)> facts)
    {
        File.WriteAllLines(path, facts.Select(f => System.Text.Json.JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = f.Q }, new { role = "assistant", content = f.A } },
        })));
        return path;
    }

    private static FederatedSiteOptions Site(string dir, string server, string key, (string, string)[] facts) => new()
    {
        Server = server,
        SiteKey = key,
        Training = new SftTrainingOptions
        {
            ModelPath = Model, DataPath = WriteChat(Path.Combine(dir, "train.jsonl"), facts), OutputDirectory = Path.Combine(dir, "work"),
            MaxSteps = 2, LearningRate = 1e-2f, MaxLength = 256, Lora = new LoraOptions { Rank = 4, Alpha = 8 },
        },
        EvaluationDataPath = WriteChat(Path.Combine(dir, "heldout.jsonl"), facts.Take(1)),
        MaxEvaluationAnswers = 1,
        MaxAnswerTokens = 4,
    };

    [Fact]
    public async Task Two_RagTune_sites_federate_one_round_from_a_site_s_initial_adapter()
    {
        string dir = TempDirectory(), output = Path.Combine(dir, "out");
        string keys = Path.Combine(dir, "sites.keys");
        File.WriteAllLines(keys, ["north north-0123456789abcdef", "south south-0123456789abcdef"]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var aggregator = new FedAvgAggregator(new FedAvgAggregatorOptions
        {
            OutputDirectory = output, Listen = "127.0.0.1:0", Rounds = 1, MinAvailableClients = 2, MinFitClients = 2,
            RoundTimeout = TimeSpan.FromMinutes(2), SiteKeysFile = keys, Seed = 3,
        });
        await aggregator.StartAsync(timeout.Token);
        (string, string)[] northFacts = [("Where is the red door?", "north"), ("Who keeps the keys?", "Mara"), ("What opens the gate?", "the blue lever")];
        (string, string)[] southFacts = [("When does the ferry leave?", "at noon")];
        Directory.CreateDirectory(Path.Combine(dir, "north"));
        Directory.CreateDirectory(Path.Combine(dir, "south"));
        using var north = new FederatedSite(Site(Path.Combine(dir, "north"), aggregator.ListenAddress!, "north-0123456789abcdef", northFacts));
        using var south = new FederatedSite(Site(Path.Combine(dir, "south"), aggregator.ListenAddress!, "south-0123456789abcdef", southFacts));
        var sites = new[] { north.RunAsync(timeout.Token), south.RunAsync(timeout.Token) };

        var history = await aggregator.RunAsync(timeout.Token);
        var results = await Task.WhenAll(sites).WaitAsync(timeout.Token);

        Assert.Equal(["north", "south"], history.Rounds.Single().Fit.Sites);
        Assert.Equal(4, history.Rounds.Single().Fit.NumExamples);
        Assert.Matches("^site:(north|south)$", history.Initial);
        Assert.All(results, r => Assert.Equal(1, r.FitRounds));
        Assert.Contains("em", history.Rounds.Single().Evaluate!.Metrics.Keys);

        // Each site keeps what it trained this round; the global is their mean weighted 3 : 1.
        var codec = new AdapterParameters(north.Adapter);
        float[][] Wire(AdapterSet set)
        {
            var byKey = PeftAdapter.Tensors(set).ToDictionary(t => t.Key, t => t.Values);
            return [.. codec.Keys.Select(k => byKey[k])];
        }
        Assert.Equal(WeightedAverage([(Wire(north.Adapter), 3), (Wire(south.Adapter), 1)]), ReadValues(Path.Combine(output, "adapter")));
        // The initial global (round 0) is the site's fresh adapter, config written as `train sft` would, base model by name only.
        string config = File.ReadAllText(Path.Combine(output, "rounds", "round-0000", PeftAdapter.ConfigFileName));
        Assert.Contains("\"base_model_name_or_path\": \"qwen2-tiny\"", config);
        Assert.Equal(config, File.ReadAllText(Path.Combine(output, "adapter", PeftAdapter.ConfigFileName)));
        var model = DecoderModel.Load(Model);
        var loaded = PeftAdapter.Load(Path.Combine(output, "adapter"), model.LayerLinears);
        Assert.Equal(14, loaded.Modules.Count);
    }
}
