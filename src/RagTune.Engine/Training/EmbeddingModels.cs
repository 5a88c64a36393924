// Loading an embedding model for training — a BERT-family encoder (every weight, or LoRA on query/key/value/dense) or a
// decoder embedder (LoRA on its q/k/v/o and MLP projections) — and building its training graph: the one place that knows
// which kinds exist, shared by EmbeddingTrainer and LsrTrainer.
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

public static class EmbeddingModels
{
    /// <summary>BERT's projections that LoRA targets by default (PEFT module names).</summary>
    public static readonly IReadOnlyList<string> EncoderLoraTargets = ["query", "key", "value", "dense"];

    /// <summary>The default LoRA target modules for the model in <paramref name="directory"/>: query/key/value/dense for an
    /// encoder, every projection (q/k/v/o, gate/up/down) for a decoder embedder.</summary>
    public static IReadOnlyList<string> DefaultLoraTargets(string directory) =>
        ModelConfig.Load(directory) is BertConfig ? EncoderLoraTargets : LoraOptions.AllDecoderTargets;

    /// <summary>Loads the model in <paramref name="directory"/> for training: with <paramref name="lora"/>, fresh adapters
    /// on its projections are the trainable parameters; without, every weight (encoders only).</summary>
    public static IEmbeddingModel LoadTrainable(string directory, LoraOptions? lora, ulong seed, out ParameterSet parameters)
    {
        var model = IEmbeddingModel.Load(directory);
        try
        {
            if (lora is not null)
            {
                PeftAdapter.AttachNew(model.Projections, lora, new Random(unchecked((int)seed)));
                parameters = ParameterSet.ForAdapters(model.Projections);
            }
            else
                parameters = model is BertEncoder encoder
                    ? EncoderTrainingGraph.AllParameters(encoder)
                    : throw new EngineException($"{model.Config.Path}: full fine-tuning of a decoder embedder is not supported; train LoRA adapters (--lora)");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public static IEmbeddingGraph Graph(IEmbeddingModel model, ParameterSet parameters) => model switch
    {
        BertEncoder encoder => new EncoderTrainingGraph(encoder, parameters),
        DecoderEmbedder decoder => new DecoderEmbeddingGraph(decoder, parameters),
        _ => throw new ArgumentException($"no training graph for {model.GetType().Name}", nameof(model)),
    };
}
