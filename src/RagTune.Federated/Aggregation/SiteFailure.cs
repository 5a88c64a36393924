// A site whose answer did not count in a round: it timed out, disconnected, reported an error status, or sent a malformed
// answer (the reason then names the field, e.g. "FitRes.parameters.tensors[3] (…lora_B.weight): expected shape [16, 4], got [4, 16]").
namespace RagTune.Federated.Aggregation;

public sealed record SiteFailure(string Site, string Reason);
