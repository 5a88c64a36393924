// A passage to embed and store in a vector index: its id, its text, and the metadata kept for filters and citations.
namespace RagTune.Knowledge.Dense;

public sealed record DensePassage(string Id, string Text, IReadOnlyDictionary<string, string>? Metadata = null);
