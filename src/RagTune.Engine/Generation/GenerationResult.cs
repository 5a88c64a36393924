// A finished generation: the text (stop string excluded), the generated ids (stop token included), why it ended, usage.
namespace RagTune.Engine.Generation;

public sealed record GenerationResult(string Text, IReadOnlyList<int> TokenIds, FinishReason FinishReason, GenerationUsage Usage);
