// Forward with saved activations and the explicit backward of a decoder embedder (gte-Qwen2, Qwen3-Embedding): the decoder
// training graph's final-normed hidden states, the checkpoint's pooling (last token, mean or CLS) and L2 normalisation.
// One text at a time, no dropout (GradCache runs each text's forward twice and needs the same result); gradients reach the
// run's LoRA adapters (an AdapterSet) on the decoder's projections.
// Letters: T tokens, C hidden.
using System.Numerics.Tensors;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

public sealed class DecoderEmbeddingGraph : IEmbeddingGraph
{
    private readonly DecoderEmbedder _model;
    private readonly DecoderTrainingGraph _decoder;
    private float[] _pooled = [];   // [C] before normalisation
    private int _tokens;

    public DecoderEmbeddingGraph(DecoderEmbedder model, ParameterSet parameters, AdapterSet? adapters = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Pooling.Mode == PoolingMode.Max)
            throw new EngineException($"{model.Config.Path}: training supports last-token, mean or CLS pooling, the checkpoint declares max");
        _model = model;
        _decoder = new DecoderTrainingGraph(model.Model, parameters, adapters) { Training = false };
    }

    public float[] Forward(ReadOnlySpan<int> ids)
    {
        int T = ids.Length, C = _model.Dimensions;
        if (T == 0 || T > _model.MaxTokens) throw new EngineException($"{T} tokens: expected 1..{_model.MaxTokens} ({_model.Config.Path})");
        var hidden = _decoder.ForwardHidden(ids);
        _pooled = new float[C];
        _tokens = T;
        EncoderPasses.PoolForward(hidden, T, _model.Pooling.Mode, _pooled);
        var embedding = (float[])_pooled.Clone();
        if (_model.Pooling.Normalize) TensorPrimitives.Divide(embedding, TensorPrimitives.Norm(embedding), embedding);
        return embedding;
    }

    public void Backward(ReadOnlySpan<float> dEmbedding)
    {
        if (_tokens == 0) throw new InvalidOperationException("Backward needs a Forward first");
        var dPooled = dEmbedding.ToArray();
        if (_model.Pooling.Normalize) EncoderPasses.NormalizeBackward(_pooled, dPooled);
        var dHidden = new float[_tokens * _model.Dimensions];
        EncoderPasses.PoolBackward(dPooled, _tokens, _model.Pooling.Mode, dHidden);
        _decoder.BackwardHidden(dHidden);
    }
}
