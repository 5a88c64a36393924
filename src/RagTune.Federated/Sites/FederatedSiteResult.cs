// What a federated site did before the server let it go: rounds trained and evaluated, and where its adapters are.
namespace RagTune.Federated.Sites;

/// <param name="FitRounds">FitIns answered with a trained adapter.</param>
/// <param name="EvaluateRounds">EvaluateIns answered with a loss.</param>
/// <param name="RefusedMessages">Server messages answered with an error status (bad tensors, a config value of the wrong type, …).</param>
/// <param name="GlobalAdapterPath">The last global adapter received, as a PEFT folder (null if none came).</param>
/// <param name="LocalAdapterPath">The adapter of the last local round, as a PEFT folder (null if no round trained).</param>
public sealed record FederatedSiteResult(int FitRounds, int EvaluateRounds, int RefusedMessages, string? GlobalAdapterPath, string? LocalAdapterPath);
