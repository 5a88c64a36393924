// Settings of a federated site: where the Flower server is and how to reach it, the site's base model, its own training
// and held-out data (which never leave it), the adapter it starts from, and the SFT settings of each local round.
using Microsoft.Extensions.Logging;
using RagTune.Engine.Training;
using RagTune.Federated.Numpy;

namespace RagTune.Federated.Sites;

public sealed record FederatedSiteOptions
{
    /// <summary>The name of the request header that carries <see cref="SiteKey"/> (gRPC metadata on the Join call).</summary>
    public const string SiteKeyHeader = "x-ragtune-site-key";

    /// <summary>The Flower server as HOST:PORT (or a full http:// or https:// address).</summary>
    public required string Server { get; init; }

    /// <summary>The local SFT settings of every round: ModelPath (the base, which never travels), DataPath (the site's own
    /// training data, which never travels), OutputDirectory (the site's work folder), Lora (the adapter's shape when
    /// <see cref="InitialAdapter"/> is null), MaxSteps/Epochs/LearningRate/ProximalMu (the defaults a round's config may
    /// override), Seed (round r trains with Seed + r). Resume is not used.</summary>
    public required SftTrainingOptions Training { get; init; }

    /// <summary>A PEFT adapter folder to start from (its adapter_config.json fixes rank, alpha and targets); null: a fresh
    /// adapter from <see cref="SftTrainingOptions.Lora"/> and the seed, as `train sft` makes one.</summary>
    public string? InitialAdapter { get; init; }

    /// <summary>The site's held-out chat JSONL for EvaluateIns (loss and EM); null: the site answers EvaluateIns with
    /// EVALUATE_NOT_IMPLEMENTED.</summary>
    public string? EvaluationDataPath { get; init; }

    /// <summary>At most this many held-out conversations are answered greedily for EM in one EvaluateIns (the loss uses all).</summary>
    public int MaxEvaluationAnswers { get; init; } = 32;

    /// <summary>Longest greedy answer in tokens for EM.</summary>
    public int MaxAnswerTokens { get; init; } = 64;

    /// <summary>The element type of the .npy tensors the site sends and expects (float32, or float16 to halve the traffic).</summary>
    public NpyDtype WireDtype { get; init; } = NpyDtype.Float32;

    /// <summary>PEM file of the CA that signed the server's certificate; when set the site connects with TLS and trusts
    /// only this CA (the host name must match the certificate).</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>This site's key, sent as <see cref="SiteKeyHeader"/> metadata (a RagTune aggregator checks it; Flower's own
    /// server ignores it). Send keys only over TLS.</summary>
    public string? SiteKey { get; init; }

    /// <summary>On ReconnectIns with seconds &gt; 0, join again after that many seconds (Flower's client does); false: stop.</summary>
    public bool Reconnect { get; init; } = true;

    /// <summary>Largest gRPC message either way (Flower's GRPC_MAX_MESSAGE_LENGTH, 512 MiB).</summary>
    public int MaxMessageBytes { get; init; } = 536_870_912;

    /// <summary>Round-by-round log (connections, fit and evaluate results, refused messages).</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Each local training step, as `train sft` reports it.</summary>
    public IProgress<TrainingProgress>? TrainingProgress { get; init; }
}
