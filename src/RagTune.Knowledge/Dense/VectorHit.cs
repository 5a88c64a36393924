// One result of a vector search: the caller's id and the similarity under the index's metric (higher is better).
namespace RagTune.Knowledge.Dense;

public readonly record struct VectorHit(string Id, float Score);
