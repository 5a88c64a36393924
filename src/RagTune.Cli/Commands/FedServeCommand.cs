// `ragtune fed serve`: the federated aggregator (FedAvgAggregator) on Flower's gRPC protocol — sites (`ragtune fed join` or
// Flower clients) connect, train the global LoRA adapter on their own data each round, and only adapter tensors, example
// counts and metrics travel. Re-running with the same --out resumes after the last finished round.
using System.CommandLine;
using Microsoft.Extensions.Logging;
using RagTune.Federated.Aggregation;
using RagTune.Federated.Numpy;

namespace RagTune.Cli.Commands;

internal static class FedServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to listen on (HTTP/2 gRPC; 0.0.0.0:PORT for every interface needs --keys and TLS, or --insecure)", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder: federation.json (journal + history), rounds/round-NNNN/, adapter/ (final), metrics.svg; the same folder resumes", Required = true };
        var rounds = new Option<int>("--rounds") { Description = "Rounds in all (a resumed run counts the finished ones)", DefaultValueFactory = _ => 3 };
        var minClients = new Option<int>("--min-clients") { Description = "Sites that must be connected before a round starts (Flower's min_available_clients)", DefaultValueFactory = _ => 2 };
        var minFit = new Option<int?>("--min-fit") { Description = "Least number of sites asked to train per round (default: --min-clients)" };
        var fractionFit = new Option<double>("--fraction-fit") { Description = "Share of the connected sites asked to train (at least --min-fit)", DefaultValueFactory = _ => 1.0 };
        var minResults = new Option<int>("--min-fit-results") { Description = "Valid updates a round needs; with fewer it fails and saves nothing", DefaultValueFactory = _ => 1 };
        var minEvaluate = new Option<int>("--min-evaluate") { Description = "Least number of sites asked to evaluate", DefaultValueFactory = _ => 1 };
        var fractionEvaluate = new Option<double>("--fraction-evaluate") { Description = "Share of the connected sites asked to evaluate (0: no evaluation)", DefaultValueFactory = _ => 1.0 };
        var roundTimeout = new Option<double>("--round-timeout") { Description = "Seconds a site may take to answer one instruction; a slower site is dropped from the round", DefaultValueFactory = _ => 1800 };
        var clientWait = new Option<double?>("--client-wait") { Description = "Seconds a round waits for --min-clients sites (default: until stopped)" };
        var initAdapter = new Option<string?>("--init-adapter") { Description = "PEFT adapter folder to start from (default: ask one connected RagTune site for its adapter)" };
        var localEpochs = new Option<int?>("--local-epochs") { Description = "Sent to the sites as FitIns.config[\"local_epochs\"]" };
        var localSteps = new Option<int?>("--local-steps") { Description = "Sent to the sites as FitIns.config[\"local_steps\"]" };
        var learningRate = new Option<double?>("--learning-rate") { Description = "Sent to the sites as FitIns.config[\"learning_rate\"]" };
        var proximalMu = new Option<double?>("--proximal-mu") { Description = "FedProx μ, sent as FitIns.config[\"proximal_mu\"]; aggregation stays FedAvg" };
        var float16 = new Option<bool>("--float16") { Description = "Send tensors as float16 .npy (sites must answer in float16 too); default float32" };
        var keys = new Option<string?>("--keys") { Description = "Site keys file, one 'SITE-NAME KEY' per line; sites send the key in the x-ragtune-site-key header" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "TLS certificate: PEM (with --tls-key) or .pfx/.p12 (password in RAGTUNE_TLS_PASSWORD)" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow an address beyond this machine without site keys and TLS" };
        var seed = new Option<int?>("--seed") { Description = "Seed for choosing the sites of each round" };
        var command = new Command("serve", "Run a federated aggregator (FedAvg/FedProx over Flower's gRPC protocol) and save the global adapter every round")
        {
            listen, output, rounds, minClients, minFit, fractionFit, minResults, minEvaluate, fractionEvaluate, roundTimeout, clientWait, initAdapter,
            localEpochs, localSteps, learningRate, proximalMu, float16, keys, tlsCert, tlsKey, insecure, seed,
        };
        TerminationSignals.SetAction(command, async (p, cancellationToken) =>
        {
            int min = p.GetValue(minClients);
            var options = new FedAvgAggregatorOptions
            {
                OutputDirectory = p.GetValue(output)!,
                Listen = p.GetValue(listen)!,
                Rounds = p.GetValue(rounds),
                MinAvailableClients = min,
                MinFitClients = p.GetValue(minFit) ?? min,
                FractionFit = p.GetValue(fractionFit),
                MinFitResults = p.GetValue(minResults),
                MinEvaluateClients = p.GetValue(minEvaluate),
                FractionEvaluate = p.GetValue(fractionEvaluate),
                RoundTimeout = Seconds(p.GetValue(roundTimeout), "--round-timeout"),
                ClientWaitTimeout = p.GetValue(clientWait) is { } wait ? Seconds(wait, "--client-wait") : null,
                InitialAdapter = p.GetValue(initAdapter),
                LocalEpochs = p.GetValue(localEpochs),
                LocalSteps = p.GetValue(localSteps),
                LearningRate = p.GetValue(learningRate),
                ProximalMu = p.GetValue(proximalMu),
                TensorDtype = p.GetValue(float16) ? NpyDtype.Float16 : NpyDtype.Float32,
                SiteKeysFile = p.GetValue(keys),
                TlsCertificateFile = p.GetValue(tlsCert),
                TlsKeyFile = p.GetValue(tlsKey),
                TlsCertificatePassword = Environment.GetEnvironmentVariable("RAGTUNE_TLS_PASSWORD"),
                Insecure = p.GetValue(insecure),
                Seed = p.GetValue(seed),
            };
            // Progress goes to stderr; stdout gets only the final adapter's folder.
            using var logging = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddFilter("Grpc", LogLevel.Warning)
                .SetMinimumLevel(LogLevel.Information));
            await using var aggregator = new FedAvgAggregator(options, logging);
            await aggregator.StartAsync(cancellationToken);
            Console.Error.WriteLine($"ragtune: aggregator listening on {aggregator.ListenAddress}; output {Path.GetFullPath(options.OutputDirectory)}");
            var history = await aggregator.RunAsync(cancellationToken);
            Console.Error.WriteLine($"ragtune: {history.FinishedRounds} rounds finished; history in {Path.Combine(Path.GetFullPath(options.OutputDirectory), FederationHistory.FileName)}");
            Console.Out.WriteLine(Path.Combine(Path.GetFullPath(options.OutputDirectory), FedAvgAggregator.FinalAdapterFolder));
            return 0;
        });
        return command;
    }

    private static TimeSpan Seconds(double value, string option) =>
        value > 0 && double.IsFinite(value) ? TimeSpan.FromSeconds(value) : throw new ArgumentException($"{option} expects a positive number of seconds; got {value}");
}
