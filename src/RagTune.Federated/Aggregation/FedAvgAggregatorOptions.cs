// What a FedAvgAggregator does: where it listens and writes, how many rounds, how many sites each round needs and waits
// for, the training settings it sends to the sites in FitIns.config, and the security of its own endpoint.
using RagTune.Federated.Numpy;

namespace RagTune.Federated.Aggregation;

/// <remarks>
/// The sampling fields follow Flower's FedAvg strategy: a round waits until <see cref="MinAvailableClients"/> sites are
/// connected, then asks max(⌊available × <see cref="FractionFit"/>⌋, <see cref="MinFitClients"/>) of them to train. Each
/// site answers within <see cref="RoundTimeout"/> or is dropped (its stream ends with DEADLINE_EXCEEDED, as Flower's
/// server ends it); the round goes on with the answers it has and fails when fewer than <see cref="MinFitResults"/> valid
/// updates came back. <see cref="ProximalMu"/> turns FedAvg into FedProx the way Flower's FedProx strategy does: μ travels
/// to the sites in FitIns.config["proximal_mu"] and the server still averages.
/// </remarks>
public sealed class FedAvgAggregatorOptions
{
    /// <summary>The output folder: the round journal, every round's global adapter, the final adapter and the history.
    /// Running again with the same folder resumes after the last finished round.</summary>
    public required string OutputDirectory { get; set; }

    /// <summary>HOST:PORT to listen on (HTTP/2; port 0 picks a free port, see <see cref="FedAvgAggregator.ListenAddress"/>).</summary>
    public string Listen { get; set; } = "127.0.0.1:8080";

    /// <summary>How many rounds the federation runs in all (a resumed run counts the finished ones).</summary>
    public int Rounds { get; set; } = 1;

    /// <summary>Sites that must be connected before a round starts (Flower's min_available_clients).</summary>
    public int MinAvailableClients { get; set; } = 2;

    /// <summary>The least number of sites asked to train in a round (Flower's min_fit_clients).</summary>
    public int MinFitClients { get; set; } = 2;

    /// <summary>The share of the connected sites asked to train (Flower's fraction_fit), at least <see cref="MinFitClients"/>.</summary>
    public double FractionFit { get; set; } = 1.0;

    /// <summary>The least number of valid updates a round needs; below it the round fails and nothing of it is saved.</summary>
    public int MinFitResults { get; set; } = 1;

    /// <summary>The least number of sites asked to evaluate the new global adapter (Flower's min_evaluate_clients).</summary>
    public int MinEvaluateClients { get; set; } = 1;

    /// <summary>The share of the connected sites asked to evaluate (Flower's fraction_evaluate); 0 skips evaluation.</summary>
    public double FractionEvaluate { get; set; } = 1.0;

    /// <summary>How long a site may take to answer one instruction (fit, evaluate, get-parameters).</summary>
    public TimeSpan RoundTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a round waits for <see cref="MinAvailableClients"/> sites; null waits until cancelled.</summary>
    public TimeSpan? ClientWaitTimeout { get; set; }

    /// <summary>A PEFT adapter folder to start from; null asks one connected site for its parameters (GetParametersIns)
    /// and its layout (GetPropertiesIns), as Flower does when a strategy has no initial parameters.</summary>
    public string? InitialAdapter { get; set; }

    /// <summary>Sent as FitIns.config["local_epochs"] when set.</summary>
    public int? LocalEpochs { get; set; }

    /// <summary>Sent as FitIns.config["local_steps"] when set.</summary>
    public int? LocalSteps { get; set; }

    /// <summary>Sent as FitIns.config["learning_rate"] when set.</summary>
    public double? LearningRate { get; set; }

    /// <summary>FedProx's μ, sent as FitIns.config["proximal_mu"] when set; aggregation stays FedAvg.</summary>
    public double? ProximalMu { get; set; }

    /// <summary>The element type of the tensors sent to the sites; the sites' updates must come back in the same type.</summary>
    public NpyDtype TensorDtype { get; set; } = NpyDtype.Float32;

    /// <summary>A site keys file (<see cref="SiteKeys"/>): every site must send its key in the x-ragtune-site-key header.
    /// Null admits any client that reaches the port (as Flower's own server does on this protocol).</summary>
    public string? SiteKeysFile { get; set; }

    /// <summary>TLS: a PEM certificate (with <see cref="TlsKeyFile"/>) or a PKCS#12 (.pfx/.p12) file; null serves plain HTTP/2.</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCertificateFile"/>; null when that is a .pfx/.p12.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>The password of a .pfx/.p12 certificate, if it has one.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>Allow an address beyond this machine without site keys and TLS.</summary>
    public bool Insecure { get; set; }

    /// <summary>The largest gRPC message in either direction (Flower's own limit is 512 MiB).</summary>
    public int MaxMessageBytes { get; set; } = 512 * 1024 * 1024;

    /// <summary>Seeds the choice of sites per round; null draws from a shared generator.</summary>
    public int? Seed { get; set; }

    internal FedAvgAggregatorOptions Clone() => (FedAvgAggregatorOptions)MemberwiseClone();

    /// <summary>Checks the options once; an error names the option and what it expects.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new FederatedException("fed serve: the output folder is empty; expected a folder path");
        if (Rounds < 1) throw Invalid("--rounds (rounds)", Rounds, "at least 1");
        if (MinAvailableClients < 1) throw Invalid("--min-clients (min_available_clients)", MinAvailableClients, "at least 1");
        if (MinFitClients < 1) throw Invalid("--min-fit (min_fit_clients)", MinFitClients, "at least 1");
        if (MinFitClients > MinAvailableClients)
            throw Invalid("--min-fit (min_fit_clients)", MinFitClients, $"at most --min-clients ({MinAvailableClients})");
        if (MinEvaluateClients < 0 || MinEvaluateClients > MinAvailableClients)
            throw Invalid("--min-evaluate (min_evaluate_clients)", MinEvaluateClients, $"0 to --min-clients ({MinAvailableClients})");
        if (MinFitResults < 1 || MinFitResults > MinFitClients)
            throw Invalid("--min-fit-results", MinFitResults, $"1 to --min-fit ({MinFitClients})");
        if (!(FractionFit is > 0 and <= 1)) throw Invalid("--fraction-fit (fraction_fit)", FractionFit, "a number in (0, 1]");
        if (!(FractionEvaluate is >= 0 and <= 1)) throw Invalid("--fraction-evaluate (fraction_evaluate)", FractionEvaluate, "a number in [0, 1]");
        if (RoundTimeout <= TimeSpan.Zero) throw Invalid("--round-timeout", RoundTimeout.TotalSeconds, "a positive number of seconds");
        if (ClientWaitTimeout is { } w && w <= TimeSpan.Zero) throw Invalid("--client-wait", w.TotalSeconds, "a positive number of seconds");
        if (LocalEpochs is < 1) throw Invalid("--local-epochs (local_epochs)", LocalEpochs, "at least 1");
        if (LocalSteps is < 1) throw Invalid("--local-steps (local_steps)", LocalSteps, "at least 1");
        if (LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr))) throw Invalid("--learning-rate (learning_rate)", lr, "a positive number");
        if (ProximalMu is { } mu && !(mu >= 0 && double.IsFinite(mu))) throw Invalid("--proximal-mu (proximal_mu)", mu, "a number ≥ 0");
        if (MaxMessageBytes < 1024) throw Invalid("max_message_bytes", MaxMessageBytes, "at least 1024");
        if (TlsKeyFile is not null && TlsCertificateFile is null) throw Invalid("--tls-key", TlsKeyFile, "a certificate too (--tls-cert)");
    }

    private static FederatedException Invalid(string field, object? value, string expected) =>
        new($"fed serve: {field} is {value}; expected {expected}");
}
