// A federated site: a Flower client over the legacy protocol (flwr.proto.FlowerService/Join, one bidirectional stream in
// which the server speaks first), as Flower 1.6.0's Python client behaves: GetPropertiesIns → GetPropertiesRes,
// GetParametersIns → the site's adapter, FitIns → load the global adapter (validated whole first), train on the site's own
// data with the SFT trainer, return the new adapter + num_examples + {"loss"}, EvaluateIns → held-out loss + {"loss", "em"},
// ReconnectIns → DisconnectRes(RECONNECT), then the stream is closed and, for seconds > 0, joined again later. Only adapter
// tensors, counts and metrics leave the site; the base model and the site's documents and examples never do.
// A message the site cannot take (wrong tensor count/shape/dtype, a malformed .npy, a config value of the wrong type) is
// answered with a non-OK Status whose message names the round and field (Flower 1.6.0's Code has no generic error; the
// instruction's *_NOT_IMPLEMENTED code is the one a Flower server counts as that client's failure for the round), and
// leaves the site's adapter as it was.
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf.Collections;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagTune.Engine;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Protocol;

namespace RagTune.Federated.Sites;

public sealed class FederatedSite : IDisposable
{
    /// <summary>Round config keys a site reads from FitIns (all optional): local_epochs and local_steps (sint64 ≥ 1; steps
    /// win when both are given), learning_rate (double &gt; 0), proximal_mu (double ≥ 0, FedProx), server_round (sint64 ≥ 1,
    /// the round named in logs and errors; else the site counts FitIns).</summary>
    public static IReadOnlyList<string> FitConfigKeys { get; } = ["local_epochs", "local_steps", "learning_rate", "proximal_mu", "server_round"];

    private readonly FederatedSiteOptions _options;
    private readonly ILogger _log;
    private readonly TextGenerator _generator;
    private readonly LoraOptions _lora;
    private readonly AdapterParameters _codec;
    private readonly AdapterSet _adapter;
    private readonly AdapterSet _scratch;
    private readonly SiteEvaluator? _evaluator;
    private readonly string _work;
    private int _fitRounds, _fitInstructions, _evaluateRounds, _refused, _lastRound;
    private string? _globalPath, _localPath;

    /// <summary>Loads the base model and the site's adapter, and reads the held-out data; connects nothing yet.</summary>
    public FederatedSite(FederatedSiteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Training);
        if (options.Training.FullFineTune || options.Training.PromptTuning is not null)
            throw new FederatedException("federated site: only LoRA adapters travel; full fine-tuning and prompt tuning are not federated");
        if (options.MaxEvaluationAnswers < 0 || options.MaxAnswerTokens < 1)
            throw new FederatedException($"federated site: max evaluation answers {options.MaxEvaluationAnswers} and max answer tokens {options.MaxAnswerTokens}; expected ≥ 0 and ≥ 1");
        if (!File.Exists(options.Training.DataPath))
            throw new FederatedException($"{options.Training.DataPath}: the site's training data is missing");
        if (options.TlsCaFile is { } ca && !File.Exists(ca))
            throw new FederatedException($"{ca}: the TLS CA file is missing (expected a PEM certificate)");
        _options = options;
        _log = options.Logger ?? NullLogger.Instance;
        _work = Path.GetFullPath(options.Training.OutputDirectory);
        Directory.CreateDirectory(_work);
        _generator = TextGenerator.Load(options.Training.ModelPath, options.Training.BaseWeights);
        var linears = _generator.Model.LayerLinears.ToList();
        if (options.InitialAdapter is { } init)
        {
            _lora = PeftAdapter.ReadConfig(init);
            _adapter = PeftAdapter.Load(init, linears);
            _scratch = PeftAdapter.Load(init, linears);
        }
        else
        {
            // The adapter `train sft` would start from with the same settings and seed.
            _lora = options.Training.Lora.ForArchitecture(_generator.Model.Config);
            _adapter = PeftAdapter.CreateNew(linears, _lora, new Random(unchecked((int)options.Training.Seed)));
            _scratch = PeftAdapter.CreateNew(linears, _lora, new Random(unchecked((int)options.Training.Seed)));
        }
        _codec = new AdapterParameters(_adapter, options.WireDtype);
        if (options.EvaluationDataPath is { } heldOut)
            _evaluator = new SiteEvaluator(_generator, options.Training.ModelPath, heldOut, options.Training, options.MaxEvaluationAnswers, options.MaxAnswerTokens);
    }

    /// <summary>The site's own adapter: the initial one until a round has trained, then the last one trained (what
    /// GetParametersIns returns). Global adapters received are kept apart until training on them has finished.</summary>
    public AdapterSet Adapter => _adapter;

    /// <summary>The PEFT keys of the tensors on the wire, in wire order (sorted ordinally).</summary>
    public IReadOnlyList<string> TensorKeys => _codec.Keys;

    /// <summary>Joins the server and answers its instructions until it says goodbye (ReconnectIns with no delay, or with a
    /// delay when <see cref="FederatedSiteOptions.Reconnect"/> is off) or ends the stream.</summary>
    public async Task<FederatedSiteResult> RunAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            long? again = await JoinOnceAsync(cancellationToken).ConfigureAwait(false);
            if (again is not > 0 || !_options.Reconnect) break;
            _log.LogInformation("reconnecting to {Server} in {Seconds} s", _options.Server, again);
            await Task.Delay(TimeSpan.FromSeconds(again.Value), cancellationToken).ConfigureAwait(false);
        }
        return new FederatedSiteResult(_fitRounds, _evaluateRounds, _refused, _globalPath, _localPath);
    }

    /// <summary>One Join stream; returns ReconnectIns.seconds, or null when the server ended the stream without one.</summary>
    private async Task<long?> JoinOnceAsync(CancellationToken cancellationToken)
    {
        using var channel = CreateChannel();
        var client = new FlowerService.FlowerServiceClient(channel);
        var headers = new Metadata();
        if (!string.IsNullOrEmpty(_options.SiteKey)) headers.Add(FederatedSiteOptions.SiteKeyHeader, _options.SiteKey);
        using var call = client.Join(headers, cancellationToken: cancellationToken);
        _log.LogInformation("joining {Server} ({Tensors} adapter tensors, {Dtype} on the wire)", _options.Server, _codec.Keys.Count, _options.WireDtype);
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var message = call.ResponseStream.Current;
                if (message.MsgCase == ServerMessage.MsgOneofCase.ReconnectIns)
                {
                    await call.RequestStream.WriteAsync(new ClientMessage
                    {
                        DisconnectRes = new ClientMessage.Types.DisconnectRes { Reason = Reason.Reconnect },
                    }, cancellationToken).ConfigureAwait(false);
                    await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                    await DrainAsync(call, cancellationToken).ConfigureAwait(false);
                    long seconds = message.ReconnectIns.Seconds;
                    _log.LogInformation("server asked to disconnect{Again}", seconds > 0 ? $" and come back in {seconds} s" : "");
                    return seconds;
                }
                var reply = await AnswerAsync(message, cancellationToken).ConfigureAwait(false);
                await call.RequestStream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated || e.StatusCode == StatusCode.PermissionDenied)
        {
            throw new FederatedException($"{_options.Server}: the server refused this site ({e.StatusCode}: {e.Status.Detail}); check --key", e);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            throw new FederatedException($"{_options.Server}: the Flower stream failed ({e.StatusCode}: {e.Status.Detail})", e);
        }
        _log.LogInformation("server ended the stream");
        return null;
    }

    /// <summary>After DisconnectRes: waits (at most <see cref="CloseTimeout"/>) for the server to end the stream, so that
    /// disposing the call does not reset the HTTP/2 stream before DisconnectRes has reached the server.</summary>
    private static async Task DrainAsync(AsyncDuplexStreamingCall<ClientMessage, ServerMessage> call, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(CloseTimeout);
        try
        {
            while (await call.ResponseStream.MoveNext(wait.Token).ConfigureAwait(false)) { }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            // The server closed the connection instead, or took too long: DisconnectRes was sent either way.
        }
    }

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The initial adapter's adapter_config.json verbatim, or the one `train sft` would write for a fresh adapter,
    /// naming the base model by its folder's name only: the site's paths do not travel.</summary>
    private string AdapterConfigJson() => _options.InitialAdapter is { } init
        ? File.ReadAllText(Path.Combine(init, PeftAdapter.ConfigFileName))
        : PeftAdapter.ConfigJson(_lora, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(_options.Training.ModelPath))));

    /// <summary>The answer to one instruction (anything but ReconnectIns).</summary>
    internal async Task<ClientMessage> AnswerAsync(ServerMessage message, CancellationToken cancellationToken)
    {
        switch (message.MsgCase)
        {
            case ServerMessage.MsgOneofCase.GetPropertiesIns:
                var properties = new ClientMessage.Types.GetPropertiesRes { Status = Ok() };
                properties.Properties.Add("tensors", new Scalar { Sint64 = _codec.Keys.Count });
                properties.Properties.Add("tensor_dtype", new Scalar { String = _options.WireDtype == Numpy.NpyDtype.Float32 ? "float32" : "float16" });
                properties.Properties.Add("lora_r", new Scalar { Sint64 = _lora.Rank });
                // What an aggregator without an initial adapter needs to save this site's adapter as a PEFT folder.
                properties.Properties.Add(AdapterProperties.AdapterConfig, new Scalar { String = AdapterConfigJson() });
                properties.Properties.Add(AdapterProperties.TensorKeys, new Scalar { String = string.Join('\n', _codec.Keys) });
                return new ClientMessage { GetPropertiesRes = properties };
            case ServerMessage.MsgOneofCase.GetParametersIns:
                return new ClientMessage
                {
                    GetParametersRes = new ClientMessage.Types.GetParametersRes { Status = Ok(), Parameters = _codec.Encode(_adapter) },
                };
            case ServerMessage.MsgOneofCase.FitIns:
                try
                {
                    return new ClientMessage { FitRes = await FitAsync(message.FitIns, cancellationToken).ConfigureAwait(false) };
                }
                catch (Exception e) when (e is FederatedException or EngineException)
                {
                    Refused(e);
                    return new ClientMessage { FitRes = new ClientMessage.Types.FitRes { Status = Failed(Code.FitNotImplemented, e), Parameters = Empty() } };
                }
            case ServerMessage.MsgOneofCase.EvaluateIns:
                try
                {
                    return new ClientMessage { EvaluateRes = await EvaluateAsync(message.EvaluateIns, cancellationToken).ConfigureAwait(false) };
                }
                catch (Exception e) when (e is FederatedException or EngineException)
                {
                    Refused(e);
                    return new ClientMessage { EvaluateRes = new ClientMessage.Types.EvaluateRes { Status = Failed(Code.EvaluateNotImplemented, e) } };
                }
            default:
                throw new FederatedException($"round {_lastRound}: the server sent a message of an unknown kind ({message.MsgCase}); expected "
                    + "GetPropertiesIns, GetParametersIns, FitIns, EvaluateIns or ReconnectIns of flwr.proto.ServerMessage");
        }
    }

    private async Task<ClientMessage.Types.FitRes> FitAsync(ServerMessage.Types.FitIns fit, CancellationToken cancellationToken)
    {
        // Without server_round the site counts the FitIns it has received (refused ones too), as a Flower server counts rounds.
        int round = Round(fit.Config, "FitIns", ++_fitInstructions);
        _lastRound = round;
        var config = new FlowerConfig(fit.Config, $"round {round}: FitIns.config");
        var training = _options.Training;
        int? steps = config.GetInt32("local_steps", 1), epochs = config.GetInt32("local_epochs", 1);
        double learningRate = config.GetDouble("learning_rate") ?? training.LearningRate;
        double mu = config.GetDouble("proximal_mu") ?? training.ProximalMu;
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new FederatedException($"round {round}: FitIns.config[\"learning_rate\"]: expected a finite value > 0, got {learningRate.ToString("R", CultureInfo.InvariantCulture)}");
        if (!(mu >= 0) || !double.IsFinite(mu))
            throw new FederatedException($"round {round}: FitIns.config[\"proximal_mu\"]: expected a finite value ≥ 0, got {mu.ToString("R", CultureInfo.InvariantCulture)}");
        // Every tensor is checked before anything is loaded: a bad message leaves the site's adapter as it was.
        var global = _codec.Decode(fit.Parameters, $"round {round}: FitIns.parameters");
        _codec.CopyInto(global, _scratch);
        _globalPath = SaveAdapter("global", _scratch);

        // Only the round being trained keeps its run folder (checkpoint, train_log.jsonl, loss.svg): earlier rounds' optimizer
        // states would pile up over a long federation, and their adapters are the global/local folders' business.
        string rounds = Path.Combine(_work, "rounds"), run = Path.Combine(rounds, $"round-{round:D4}");
        if (Directory.Exists(rounds))
            foreach (var old in Directory.GetDirectories(rounds, "round-*").Where(d => !string.Equals(d, run, StringComparison.Ordinal)))
                Directory.Delete(old, recursive: true);
        var options = training with
        {
            OutputDirectory = run,
            Lora = _lora,
            MaxSteps = steps ?? (epochs is null ? training.MaxSteps : 0),
            Epochs = epochs ?? training.Epochs,
            LearningRate = (float)learningRate,
            ProximalMu = (float)mu,
            Seed = training.Seed + (ulong)round,
            Resume = false,
        };
        var trainer = new SftTrainer(options);
        try
        {
            _codec.CopyInto(global, trainer.Adapters!);
            _log.LogInformation("round {Round}: fit: {Steps} local steps on {Samples} samples (lr {Lr}, mu {Mu})",
                round, trainer.TotalSteps, trainer.TrainSamples, options.LearningRate, options.ProximalMu);
            var result = await trainer.RunAsync(_options.TrainingProgress, cancellationToken).ConfigureAwait(false);
            double loss = result.Losses.Count == 0 ? double.NaN : result.Losses.Average();
            var reply = new ClientMessage.Types.FitRes { Status = Ok(), Parameters = _codec.Encode(trainer.Adapters!), NumExamples = trainer.TrainSamples };
            reply.Metrics.Add("loss", new Scalar { Double = loss });
            reply.Metrics.Add("steps", new Scalar { Sint64 = result.Steps });
            _codec.CopyInto(_codec.Decode(reply.Parameters, $"round {round}: FitRes.parameters"), _adapter);
            _localPath = SaveAdapter("local", _adapter);
            // Every round's local result stays inspectable (the adapter alone, no optimizer state): local-rounds/round-NNNN-adapter.
            SaveAdapter(Path.Combine("local-rounds", $"round-{round:D4}"), _adapter);
            _fitRounds++;
            _log.LogInformation("round {Round}: fit done: mean loss {Loss:0.####} over {Steps} steps, {Examples} examples", round, loss, result.Steps, trainer.TrainSamples);
            return reply;
        }
        finally
        {
            trainer.Model.Dispose();
        }
    }

    private async Task<ClientMessage.Types.EvaluateRes> EvaluateAsync(ServerMessage.Types.EvaluateIns evaluate, CancellationToken cancellationToken)
    {
        int round = Round(evaluate.Config, "EvaluateIns", Math.Max(_lastRound, 1));
        if (_evaluator is null)
            throw new FederatedException($"round {round}: EvaluateIns: this site has no held-out data (give it an evaluation file, --eval)");
        var global = _codec.Decode(evaluate.Parameters, $"round {round}: EvaluateIns.parameters");
        _codec.CopyInto(global, _scratch);
        _globalPath = SaveAdapter("global", _scratch);
        var (loss, em) = await _evaluator.EvaluateAsync(_scratch, cancellationToken).ConfigureAwait(false);
        var reply = new ClientMessage.Types.EvaluateRes { Status = Ok(), Loss = (float)loss, NumExamples = _evaluator.Examples };
        reply.Metrics.Add("loss", new Scalar { Double = loss });
        if (!double.IsNaN(em))
        {
            reply.Metrics.Add("em", new Scalar { Double = em });
            reply.Metrics.Add("em_answers", new Scalar { Sint64 = _evaluator.Answered });
        }
        _evaluateRounds++;
        _log.LogInformation("round {Round}: evaluate: loss {Loss:0.####}, EM {Em:0.###} on {Answered} answers, {Examples} held-out examples",
            round, loss, em, _evaluator.Answered, _evaluator.Examples);
        return reply;
    }

    /// <summary>config["server_round"] when the server sends it (a RagTune aggregator does), else <paramref name="counted"/>.</summary>
    private static int Round(MapField<string, Scalar> config, string message, int counted) =>
        new FlowerConfig(config, $"round {counted}: {message}.config").GetInt32("server_round", 1) ?? counted;

    private string SaveAdapter(string name, AdapterSet adapters)
    {
        string directory = Path.Combine(_work, name + "-adapter");
        PeftAdapter.Save(directory, adapters, _lora, Path.GetFullPath(_options.Training.ModelPath));
        return directory;
    }

    private void Refused(Exception e)
    {
        _refused++;
        _log.LogError("refused: {Message}", e.Message);
    }

    private static Flower.Status Ok() => new() { Code = Code.Ok, Message = "Success" };

    private static Flower.Status Failed(Code code, Exception e) => new() { Code = code, Message = e.Message };

    private static Parameters Empty() => new() { TensorType = AdapterParameters.TensorType };

    private GrpcChannel CreateChannel()
    {
        string address = _options.Server.Contains("://", StringComparison.Ordinal)
            ? _options.Server
            : (_options.TlsCaFile is null ? "http://" : "https://") + _options.Server;
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, KeepAlivePingDelay = TimeSpan.FromSeconds(60), KeepAlivePingTimeout = TimeSpan.FromSeconds(30) };
        if (_options.TlsCaFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            if (roots.Count == 0) throw new FederatedException($"{caFile}: no certificate in the PEM file (expected the CA that signed the server's certificate)");
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                return chain.Build(new X509Certificate2(certificate));
            };
        }
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = _options.MaxMessageBytes,
            MaxSendMessageSize = _options.MaxMessageBytes,
        });
    }

    public void Dispose() => _generator.Model.Dispose();
}
