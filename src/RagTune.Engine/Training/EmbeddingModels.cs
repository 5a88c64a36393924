// Loading embedding models with their LoRA adapters: for embedding, an adapter merged into the base weights (or an adapter
// folder given as the model); for training, a BERT-family encoder (every weight, or LoRA on query/key/value/dense) or a
// decoder embedder (LoRA on its q/k/v/o and MLP projections) and its training graph — shared by `embed`, knowledge bases,
// the server, EmbeddingTrainer and LsrTrainer.
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

public static class EmbeddingModels
{
    /// <summary>BERT's projections that LoRA targets by default (PEFT module names).</summary>
    public static readonly IReadOnlyList<string> EncoderLoraTargets = ["query", "key", "value", "dense"];

    /// <summary>A TextEmbedder over the model in <paramref name="directory"/>: an encoder or decoder embedder (see
    /// <see cref="IEmbeddingModel.Load"/>), or a PEFT adapter folder from `train embed --lora` / `train lsr --lora` (its
    /// base_model_name_or_path is loaded and the adapter merged); TextEmbedderOptions.AdapterDirectory merges an adapter
    /// into the model at load (W ← W + scale·B·A), so embedding costs what the base model costs.</summary>
    public static TextEmbedder LoadEmbedder(string directory, TextEmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        options ??= new TextEmbedderOptions();
        if (!File.Exists(Path.Combine(directory, ModelConfig.FileName)) && File.Exists(Path.Combine(directory, PeftAdapter.ConfigFileName)))
        {
            if (options.AdapterDirectory is not null)
                throw new EngineException($"{directory} is itself a LoRA adapter folder; give its base model with the adapter, not two adapters");
            return LoadEmbedder(PeftAdapter.ReadBaseModel(directory), options with { AdapterDirectory = directory });
        }
        if (options.AdapterDirectory is not { } adapter) return TextEmbedder.Load(directory, options.MaxLength);
        // The adapter merges into float32 weights, so BF16/F16 decoder checkpoints are widened at load.
        var model = IEmbeddingModel.Load(directory, WeightFormat.F32);
        try
        {
            var projections = model.Projections.ToList();
            PeftAdapter.Load(adapter, projections).MergeInto(projections);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return TextEmbedder.Create(model, directory, options.MaxLength);
    }

    /// <summary>The default LoRA target modules for the model in <paramref name="directory"/>: query/key/value/dense for an
    /// encoder, every projection (q/k/v/o, gate/up/down) for a decoder embedder.</summary>
    public static IReadOnlyList<string> DefaultLoraTargets(string directory) =>
        ModelConfig.Load(directory) is BertConfig ? EncoderLoraTargets : LoraOptions.AllDecoderTargets;

    /// <summary>Loads the model in <paramref name="directory"/> for training: with <paramref name="lora"/>, fresh adapters
    /// for its projections (<paramref name="adapters"/>, the run's own: the model stays the base) are the trainable
    /// parameters; without, every weight (encoders only) and <paramref name="adapters"/> is null.</summary>
    public static IEmbeddingModel LoadTrainable(string directory, LoraOptions? lora, ulong seed, out ParameterSet parameters,
        out AdapterSet? adapters)
    {
        var model = IEmbeddingModel.Load(directory);
        adapters = null;
        try
        {
            if (lora is not null)
            {
                adapters = PeftAdapter.CreateNew(model.Projections, lora, new Random(unchecked((int)seed)));
                parameters = ParameterSet.ForAdapters(adapters);
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

    /// <summary>The training graph of <paramref name="model"/>, with <paramref name="adapters"/> (LoRA, unmerged) on its
    /// projections when given.</summary>
    public static IEmbeddingGraph Graph(IEmbeddingModel model, ParameterSet parameters, AdapterSet? adapters = null) => model switch
    {
        BertEncoder encoder => new EncoderTrainingGraph(encoder, parameters, adapters),
        DecoderEmbedder decoder => new DecoderEmbeddingGraph(decoder, parameters, adapters),
        _ => throw new ArgumentException($"no training graph for {model.GetType().Name}", nameof(model)),
    };
}
