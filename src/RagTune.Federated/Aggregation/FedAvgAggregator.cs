// A federated-averaging server on Flower's legacy protocol (flwr.proto.FlowerService/Join over gRPC, HTTP/2): sites — RagTune
// `fed join` or Python Flower clients — connect, and each round the aggregator sends the global LoRA adapter in FitIns, averages
// the returned adapters weighted by their example counts (FedAvg; FedProx when μ is set), has the sites evaluate the result,
// and saves it as a PEFT adapter folder before the round counts as finished. A killed aggregator restarted on the same
// output folder resumes after the last finished round.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using GrpcStatus = Grpc.Core.Status;
using GrpcStatusCode = Grpc.Core.StatusCode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagTune.Engine.IO;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;
using RagTune.Federated.Protocol;

namespace RagTune.Federated.Aggregation;

/// <remarks>
/// Output folder: <c>federation.json</c> (journal and history, <see cref="FederationHistory"/>), <c>rounds/round-NNNN/</c>
/// (the global adapter after round N; round-0000 is the initial one), <c>adapter/</c> (the final global adapter) and
/// <c>metrics.svg</c> (fit and evaluation loss per round). Security: Flower's own server authenticates no site on this
/// protocol; this one checks a per-site key (<see cref="SiteKeys"/>) and can serve TLS. Everything a site sends is checked
/// against the global adapter's layout before it is averaged; a malformed answer counts as that site's failure.
/// </remarks>
public sealed class FedAvgAggregator : IAsyncDisposable
{
    /// <summary>The folder of every round's global adapter, inside the output folder.</summary>
    public const string RoundsFolder = "rounds";

    /// <summary>The final global adapter, inside the output folder.</summary>
    public const string FinalAdapterFolder = "adapter";

    /// <summary>The loss chart, inside the output folder.</summary>
    public const string ChartFileName = "metrics.svg";

    private readonly FedAvgAggregatorOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<FedAvgAggregator> _log;
    private readonly SiteRegistry _registry = new();
    private readonly Random _random;
    private WebApplication? _app;

    public FedAvgAggregator(FedAvgAggregatorOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger<FedAvgAggregator>();
        _random = _options.Seed is { } seed ? new Random(seed) : Random.Shared;
    }

    /// <summary>The address sites connect to (https://127.0.0.1:50123), once started.</summary>
    public string? ListenAddress { get; private set; }

    /// <summary>The names of the sites connected now.</summary>
    public IReadOnlyList<string> ConnectedSites => [.. _registry.Open().Select(c => c.Site)];

    /// <summary>Binds the endpoint and starts accepting sites; <see cref="RunAsync"/> calls it when needed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null) return;
        var (address, port) = ParseListen(_options.Listen);
        var keys = _options.SiteKeysFile is { } file ? SiteKeys.Load(file) : null;
        var certificate = LoadCertificate();
        if (!IPAddress.IsLoopback(address) && !_options.Insecure && (keys is null || certificate is null))
            throw new FederatedException($"fed serve: {_options.Listen} is reachable beyond this machine, so it needs site keys (--keys) and TLS " +
                "(--tls-cert/--tls-key); pass --insecure to serve without them");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddSingleton(_log);
        builder.Services.AddSingleton(_registry);
        builder.Services.AddSingleton(new SiteKeyCheck(keys, _log));
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = _options.MaxMessageBytes;
            o.MaxSendMessageSize = _options.MaxMessageBytes;
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null) listen.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        app.MapGrpcService<FlowerJoinService>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        ListenAddress = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        _log.LogInformation("aggregator listening on {Address}{Security}", ListenAddress,
            (keys is null ? " without site keys" : $" for {keys.Sites.Count} keyed sites") + (certificate is null ? ", plain HTTP/2" : ", TLS"));
    }

    /// <summary>Runs the federation to <see cref="FedAvgAggregatorOptions.Rounds"/>, resuming after the rounds the output
    /// folder's journal says are finished; returns the history. A round with fewer valid updates than
    /// <see cref="FedAvgAggregatorOptions.MinFitResults"/> throws a <see cref="FederatedException"/> and saves nothing of it.</summary>
    public async Task<FederationHistory> RunAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        string output = Path.GetFullPath(_options.OutputDirectory);
        Directory.CreateDirectory(output);
        var history = FederationHistory.Read(output);
        GlobalAdapter global;
        if (history is null)
        {
            string initialFolder = RoundFolder(output, 0);
            string initial;
            if (_options.InitialAdapter is { } init)
            {
                global = GlobalAdapter.Load(init, _options.TensorDtype);
                global.Save(initialFolder);
                initial = Path.GetFullPath(init);
            }
            else
            {
                (global, initial) = await InitialFromSiteAsync(initialFolder, cancellationToken).ConfigureAwait(false);
            }
            history = new FederationHistory { Initial = initial, GlobalAdapter = Relative(output, initialFolder) };
            history.Write(output);
            _log.LogInformation("initial global adapter from {Initial}: {Tensors} tensors", initial, global.Codec.Keys.Count);
        }
        else
        {
            global = GlobalAdapter.Load(Path.Combine(output, history.GlobalAdapter), _options.TensorDtype);
            _log.LogInformation("resuming {Output} after round {Round} (global adapter {Adapter})", output, history.FinishedRounds, history.GlobalAdapter);
        }

        for (int round = history.FinishedRounds + 1; round <= _options.Rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            var (next, fit) = await FitRoundAsync(round, global, cancellationToken).ConfigureAwait(false);
            var evaluation = await EvaluateRoundAsync(round, next, cancellationToken).ConfigureAwait(false);
            string folder = RoundFolder(output, round);
            next.Save(folder);
            var record = new RoundRecord { Round = round, Seconds = Math.Round(clock.Elapsed.TotalSeconds, 3), Fit = fit, Evaluate = evaluation };
            history = history with { FinishedRounds = round, GlobalAdapter = Relative(output, folder), Rounds = [.. history.Rounds, record] };
            history.Write(output);
            global = next;
            _log.LogInformation("round {Round} finished: {Sites} sites, {Examples} examples{Eval}; saved {Folder}", round, fit.Sites.Count,
                fit.NumExamples, evaluation?.Loss is { } loss ? $", evaluation loss {loss.ToString("0.####", CultureInfo.InvariantCulture)}" : "", folder);
        }

        global.Save(Path.Combine(output, FinalAdapterFolder));
        WriteChart(Path.Combine(output, ChartFileName), history);
        await DisconnectAllAsync(cancellationToken).ConfigureAwait(false);
        return history;
    }

    private async Task<(GlobalAdapter Next, RoundPhase Fit)> FitRoundAsync(int round, GlobalAdapter global, CancellationToken cancellationToken)
    {
        var sites = await SampleAsync(round, _options.FractionFit, _options.MinFitClients, wait: true, cancellationToken).ConfigureAwait(false);
        var instruction = new ServerMessage { FitIns = new ServerMessage.Types.FitIns { Parameters = global.ToParameters() } };
        instruction.FitIns.Config.Add(FitConfig(round));
        _log.LogInformation("round {Round}: fit on {Sites}", round, string.Join(", ", sites.Select(s => s.Site)));
        var answers = await Task.WhenAll(sites.Select(s => AskAsync(s, instruction, ClientMessage.MsgOneofCase.FitRes, cancellationToken))).ConfigureAwait(false);

        var failures = new List<SiteFailure>();
        var updates = Collect(round, "fit", answers, failures, reply =>
        {
            var res = reply.FitRes;
            CheckStatus(res.Status, "FitRes");
            if (res.NumExamples <= 0) throw new FederatedException($"FitRes.num_examples: expected a positive count, got {res.NumExamples}");
            return (Tensors: global.Codec.Decode(res.Parameters ?? new Parameters(), "FitRes.parameters"), res.NumExamples, Metrics: (IDictionary<string, Scalar>)res.Metrics);
        });
        if (updates.Count < _options.MinFitResults)
            throw new FederatedException($"round {round}: {updates.Count} of {sites.Count} sites returned a valid update; the round needs at least " +
                $"{_options.MinFitResults} (failures: {string.Join("; ", failures.Select(f => $"{f.Site}: {f.Reason}"))}). Nothing of this round was saved; " +
                "run again with the same output folder to retry it");

        var averaged = FedAvg.Aggregate([.. updates.Select(u => (u.Value.Tensors, u.Value.NumExamples))]);
        var phase = new RoundPhase
        {
            Sites = [.. updates.Select(u => u.Site)],
            NumExamples = updates.Sum(u => u.Value.NumExamples),
            Metrics = WeightedMetrics(updates.Select(u => (u.Value.NumExamples, u.Value.Metrics))),
            Failures = failures,
        };
        return (global.With(averaged), phase);
    }

    private async Task<RoundPhase?> EvaluateRoundAsync(int round, GlobalAdapter global, CancellationToken cancellationToken)
    {
        if (_options.FractionEvaluate == 0) return null;
        var sites = await SampleAsync(round, _options.FractionEvaluate, _options.MinEvaluateClients, wait: false, cancellationToken).ConfigureAwait(false);
        if (sites.Count == 0)
        {
            _log.LogWarning("round {Round}: no site connected to evaluate the new global adapter", round);
            return null;
        }
        var instruction = new ServerMessage { EvaluateIns = new ServerMessage.Types.EvaluateIns { Parameters = global.ToParameters() } };
        instruction.EvaluateIns.Config.Add("server_round", new Scalar { Sint64 = round });
        var answers = await Task.WhenAll(sites.Select(s => AskAsync(s, instruction, ClientMessage.MsgOneofCase.EvaluateRes, cancellationToken))).ConfigureAwait(false);
        var failures = new List<SiteFailure>();
        var results = Collect(round, "evaluate", answers, failures, reply =>
        {
            var res = reply.EvaluateRes;
            CheckStatus(res.Status, "EvaluateRes");
            if (res.NumExamples <= 0) throw new FederatedException($"EvaluateRes.num_examples: expected a positive count, got {res.NumExamples}");
            if (!float.IsFinite(res.Loss)) throw new FederatedException($"EvaluateRes.loss: expected a finite number, got {res.Loss}");
            return (res.NumExamples, Loss: (double)res.Loss, Metrics: (IDictionary<string, Scalar>)res.Metrics);
        });
        return new RoundPhase
        {
            Sites = [.. results.Select(r => r.Site)],
            NumExamples = results.Sum(r => r.Value.NumExamples),
            Loss = results.Count > 0 ? FedAvg.WeightedMean(results.Select(r => (r.Value.NumExamples, r.Value.Loss))) : null,
            Metrics = WeightedMetrics(results.Select(r => (r.Value.NumExamples, r.Value.Metrics))),
            Failures = failures,
        };
    }

    /// <summary>The answers that <paramref name="read"/> accepts, ordered by site name (a fixed order makes the float64
    /// sums, and so the saved adapter, reproducible); every other site — timed out, disconnected, an error status, a
    /// malformed answer — goes to <paramref name="failures"/> with the reason and is logged with the round.</summary>
    private List<(string Site, T Value)> Collect<T>(int round, string phase, IEnumerable<(string Site, ClientMessage? Reply, string? Error)> answers,
        List<SiteFailure> failures, Func<ClientMessage, T> read)
    {
        var accepted = new List<(string Site, T Value)>();
        foreach (var (site, reply, error) in answers)
        {
            try
            {
                accepted.Add((site, error is null ? read(reply!) : throw new FederatedException(error)));
            }
            catch (FederatedException ex)
            {
                failures.Add(new SiteFailure(site, ex.Message));
                _log.LogWarning("round {Round}: site '{Site}' failed to {Phase}: {Reason}", round, site, phase, ex.Message);
            }
        }
        accepted.Sort((a, b) => string.CompareOrdinal(a.Site, b.Site));
        return accepted;
    }

    /// <summary>Flower's FedAvg sampling: max(⌊available × fraction⌋, minimum) sites drawn at random, after waiting for
    /// min_available_clients when <paramref name="wait"/> (fit); evaluation takes what is connected.</summary>
    private async Task<IReadOnlyList<SiteConnection>> SampleAsync(int round, double fraction, int minimum, bool wait, CancellationToken cancellationToken)
    {
        if (wait)
        {
            if (_registry.Open().Count < _options.MinAvailableClients)
                _log.LogInformation("round {Round}: waiting for {Count} sites (connected: {Connected})", round, _options.MinAvailableClients, _registry.Open().Count);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (_options.ClientWaitTimeout is { } timeout) limit.CancelAfter(timeout);
            try
            {
                await _registry.WaitForAsync(_options.MinAvailableClients, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new FederatedException($"round {round}: {_registry.Open().Count} sites connected within {_options.ClientWaitTimeout!.Value.TotalSeconds:0.###} s; " +
                    $"expected at least {_options.MinAvailableClients} (min_available_clients)");
            }
        }
        var open = _registry.Open();
        int count = Math.Min(open.Count, Math.Max((int)(open.Count * fraction), minimum));
        var pool = open.ToArray();
        _random.Shuffle(pool);
        return pool[..count];
    }

    private async Task<(string Site, ClientMessage? Reply, string? Error)> AskAsync(SiteConnection site, ServerMessage instruction,
        ClientMessage.MsgOneofCase expected, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await site.RequestAsync(instruction, expected, _options.RoundTimeout, cancellationToken).ConfigureAwait(false);
            return (site.Site, reply, null);
        }
        catch (FederatedException ex)
        {
            return (site.Site, null, ex.Message);
        }
    }

    /// <summary>The round's training settings, under the keys a RagTune site reads (Flower's config map).</summary>
    private Dictionary<string, Scalar> FitConfig(int round)
    {
        var config = new Dictionary<string, Scalar> { ["server_round"] = new Scalar { Sint64 = round } };
        if (_options.LocalEpochs is { } epochs) config["local_epochs"] = new Scalar { Sint64 = epochs };
        if (_options.LocalSteps is { } steps) config["local_steps"] = new Scalar { Sint64 = steps };
        if (_options.LearningRate is { } lr) config["learning_rate"] = new Scalar { Double = lr };
        if (_options.ProximalMu is { } mu) config["proximal_mu"] = new Scalar { Double = mu };
        return config;
    }

    /// <summary>Flower's start without initial parameters: one connected site's adapter (GetParametersIns), with its
    /// layout and config (GetPropertiesIns, <see cref="AdapterProperties"/>), saved as round 0's folder.</summary>
    private async Task<(GlobalAdapter Global, string Initial)> InitialFromSiteAsync(string folder, CancellationToken cancellationToken)
    {
        _log.LogInformation("no initial adapter given: waiting for a site to provide one");
        await _registry.WaitForAsync(1, cancellationToken).ConfigureAwait(false);
        var site = _registry.Open()[0];
        string where = $"initial parameters from site '{site.Site}'";
        var properties = (await site.RequestAsync(new ServerMessage { GetPropertiesIns = new() }, ClientMessage.MsgOneofCase.GetPropertiesRes,
            _options.RoundTimeout, cancellationToken).ConfigureAwait(false)).GetPropertiesRes;
        CheckStatus(properties.Status, $"{where}: GetPropertiesRes");
        var config = new FlowerConfig(properties.Properties, $"{where}: GetPropertiesRes.properties");
        string configJson = config.GetString(AdapterProperties.AdapterConfig)
            ?? throw new FederatedException($"{where}: GetPropertiesRes.properties has no \"{AdapterProperties.AdapterConfig}\" (the site's adapter_config.json); " +
                "a Flower client that is not a RagTune site cannot say which PEFT keys its tensors are: start the aggregator with --init-adapter DIR");
        string[] keys = (config.GetString(AdapterProperties.TensorKeys)
            ?? throw new FederatedException($"{where}: GetPropertiesRes.properties has no \"{AdapterProperties.TensorKeys}\"; start the aggregator with --init-adapter DIR"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var parameters = (await site.RequestAsync(new ServerMessage { GetParametersIns = new() }, ClientMessage.MsgOneofCase.GetParametersRes,
            _options.RoundTimeout, cancellationToken).ConfigureAwait(false)).GetParametersRes;
        CheckStatus(parameters.Status, $"{where}: GetParametersRes");
        var tensors = parameters.Parameters?.Tensors ?? [];
        if (tensors.Count != keys.Length)
            throw new FederatedException($"{where}: GetParametersRes.parameters.tensors holds {tensors.Count} tensors, but {AdapterProperties.TensorKeys} names {keys.Length}");
        var entries = new List<(string Key, int Rows, int Columns, float[] Values)>();
        for (int i = 0; i < keys.Length; i++)
        {
            string field = $"{where}: GetParametersRes.parameters.tensors[{i}] ({keys[i]})";
            var array = NpyFormat.Read(tensors[i].Span, field);
            if (array.Shape.Count != 2) throw new FederatedException($"{field}: expected a 2-d LoRA matrix, got shape {array.ShapeText}");
            entries.Add((keys[i], array.Shape[0], array.Shape[1], array.Values));
        }
        Directory.CreateDirectory(folder);
        AtomicFile.WriteText(Path.Combine(folder, PeftAdapter.ConfigFileName), configJson);
        try
        {
            PeftAdapter.SaveWeights(folder, PeftAdapter.FromTensors(entries, PeftAdapter.ReadConfig(folder), $"site:{site.Site}"));
        }
        catch (RagTune.Engine.EngineException ex)
        {
            throw new FederatedException($"{where}: {ex.Message}", ex);
        }
        return (GlobalAdapter.Load(folder, _options.TensorDtype), $"site:{site.Site}");
    }

    /// <summary>Flower's end of a federation: ReconnectIns with seconds = 0 asks every site to disconnect and stop.</summary>
    private async Task DisconnectAllAsync(CancellationToken cancellationToken)
    {
        var bye = new ServerMessage { ReconnectIns = new ServerMessage.Types.ReconnectIns { Seconds = 0 } };
        var timeout = TimeSpan.FromSeconds(Math.Min(10, _options.RoundTimeout.TotalSeconds));
        await Task.WhenAll(_registry.Open().Select(async site =>
        {
            try
            {
                await site.RequestAsync(bye, ClientMessage.MsgOneofCase.DisconnectRes, timeout, cancellationToken).ConfigureAwait(false);
                site.Close(GrpcStatus.DefaultSuccess);
            }
            catch (FederatedException ex)
            {
                // Flower's client closes its channel right after its DisconnectRes, which may reset the stream first.
                _log.LogDebug("site '{Site}' left without acknowledging the end of the federation: {Reason}", site.Site, ex.Message);
            }
        })).ConfigureAwait(false);
    }

    private static void CheckStatus(Flower.Status? status, string field)
    {
        if (status is not null && status.Code != Code.Ok)
            throw new FederatedException($"{field}.status: the site reported {status.Code}{(status.Message is { Length: > 0 } m ? $" ({m})" : "")}");
    }

    /// <summary>Every numeric metric (double or sint64), weighted by num_examples over the answers that carry it.</summary>
    private static Dictionary<string, double> WeightedMetrics(IEnumerable<(long NumExamples, IDictionary<string, Scalar> Metrics)> answers)
    {
        var values = new SortedDictionary<string, List<(long, double)>>(StringComparer.Ordinal);
        foreach (var (n, metrics) in answers)
            foreach (var (key, scalar) in metrics)
            {
                double? v = scalar.ScalarCase switch
                {
                    Scalar.ScalarOneofCase.Double => scalar.Double,
                    Scalar.ScalarOneofCase.Sint64 => scalar.Sint64,
                    _ => null,
                };
                if (v is { } x && double.IsFinite(x))
                {
                    if (!values.TryGetValue(key, out var list)) values[key] = list = [];
                    list.Add((n, x));
                }
            }
        return values.ToDictionary(kv => kv.Key, kv => FedAvg.WeightedMean(kv.Value), StringComparer.Ordinal);
    }

    /// <summary>Fit loss per round (the line) and evaluation loss (the dots), through the training loss chart.</summary>
    private static void WriteChart(string path, FederationHistory history)
    {
        var fit = history.Rounds.Select(r => r.Fit.Metrics.TryGetValue("loss", out double l) ? l : double.NaN).ToList();
        var evaluation = history.Rounds.Where(r => r.Evaluate?.Loss is not null).Select(r => (r.Round, r.Evaluate!.Loss!.Value)).ToList();
        LossChart.Write(path, fit, evaluation, "round");
    }

    private static string RoundFolder(string output, int round) =>
        Path.Combine(output, RoundsFolder, "round-" + round.ToString("D4", CultureInfo.InvariantCulture));

    private static string Relative(string output, string folder) => Path.GetRelativePath(output, folder).Replace('\\', '/');

    private X509Certificate2? LoadCertificate()
    {
        if (_options.TlsCertificateFile is not { } cert) return null;
        try
        {
            if (_options.TlsKeyFile is { } key) return X509Certificate2.CreateFromPemFile(cert, key);
            return X509CertificateLoader.LoadPkcs12FromFile(cert, _options.TlsCertificatePassword);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new FederatedException($"{cert}: cannot load the TLS certificate{(_options.TlsKeyFile is { } k ? $" with key {k}" : "")} ({ex.Message}); " +
                "expected a PEM certificate with --tls-key, or a .pfx/.p12 file");
        }
    }

    /// <summary>HOST:PORT (IPv4, [IPv6], localhost, * or 0.0.0.0 for every interface).</summary>
    internal static (IPAddress Address, int Port) ParseListen(string listen)
    {
        int colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new FederatedException($"fed serve: listen address '{listen}' is not HOST:PORT; expected e.g. 127.0.0.1:8080 or [::]:8080");
        string host = listen[..colon].Trim('[', ']');
        IPAddress address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" => IPAddress.Any,
            _ when IPAddress.TryParse(host, out var ip) => ip,
            _ => throw new FederatedException($"fed serve: listen host '{host}' is not an IP address; expected e.g. 127.0.0.1, 0.0.0.0 or [::]"),
        };
        return (address, port);
    }

    public async ValueTask DisposeAsync()
    {
        _registry.CloseAll(new GrpcStatus(GrpcStatusCode.Unavailable, "the aggregator is stopping"));
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
