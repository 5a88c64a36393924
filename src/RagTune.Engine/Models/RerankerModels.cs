// Loads a local reranker by what its config.json declares: a BERT-family *ForSequenceClassification checkpoint is a
// cross-encoder, a causal decoder is scored Qwen3-Reranker style; anything else is refused with the field that says why.
namespace RagTune.Engine.Models;

public static class RerankerModels
{
    /// <param name="directory">A Hugging Face checkpoint folder.</param>
    /// <param name="instruction">Decoder rerankers: the task after "&lt;Instruct&gt;: " (null: the model card's default);
    /// cross-encoders have none and ignore it.</param>
    public static IRerankerModel Load(string directory, string? instruction = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return ModelConfig.Load(directory) switch
        {
            BertConfig => BertCrossEncoder.Load(directory),
            DecoderConfig => DecoderReranker.Load(directory, instruction),
            var other => throw new EngineException($"{other.Path}: architecture {other.Architecture} is not a reranker, expected *ForSequenceClassification (one label) or a causal decoder"),
        };
    }
}
