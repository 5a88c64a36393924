// Forward with saved activations and the explicit backward of a BERT-family encoder (BertModel / XLMRobertaModel): embeddings
// + LayerNorm, bidirectional attention, GELU MLP, post-LayerNorm residuals, then the checkpoint's pooling (CLS or mean) and
// L2 normalisation. One text at a time; gradients reach LoRA adapters on query/key/value/dense or every weight.
// Letters: T tokens, C hidden, H heads, D head_dim, I intermediate.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

public sealed class EncoderTrainingGraph : IEmbeddingGraph
{
    private readonly BertEncoder _model;
    private readonly ParameterSet _parameters;
    private readonly LinearPass _linear;
    private Saved? _saved;

    public BertEncoder Model => _model;
    public ParameterSet Parameters => _parameters;

    /// <summary>The LoRA adapters every projection applies (and that a LoRA run trains), or null.</summary>
    public AdapterSet? Adapters => _linear.Adapters;

    public EncoderTrainingGraph(BertEncoder model, ParameterSet parameters, AdapterSet? adapters = null)
    {
        adapters?.CheckFits(EncoderLinears(model), $"the encoder of {model.Config.Path}");
        if (model.Pooling.Mode is not (PoolingMode.Cls or PoolingMode.Mean))
            throw new EngineException($"{model.Config.Path}: training supports CLS or mean pooling, the checkpoint declares {model.Pooling.Mode}");
        _model = model;
        _parameters = parameters;
        _linear = new LinearPass(parameters, adapters) { Training = false };
    }

    /// <summary>Every weight of the encoder, named as in the checkpoint (without its bert./roberta. prefix).</summary>
    public static ParameterSet AllParameters(BertEncoder model)
    {
        var set = new ParameterSet();
        set.Add("embeddings.word_embeddings.weight", model.WordEmbeddings);
        set.Add("embeddings.position_embeddings.weight", model.PositionEmbeddings);
        set.Add("embeddings.token_type_embeddings.weight", model.TokenTypeEmbeddings);
        set.Add("embeddings.LayerNorm.weight", model.EmbeddingsLayerNormWeight);
        set.Add("embeddings.LayerNorm.bias", model.EmbeddingsLayerNormBias);
        for (int l = 0; l < model.Layers.Count; l++)
        {
            var layer = model.Layers[l];
            string p = $"encoder.layer.{l}.";
            foreach (var lin in BertEncoder.LayerProjections(layer))
            {
                set.Add(lin.Name + ".weight", lin.Weight.WritableFloat32());
                if (lin.Bias is not null) set.Add(lin.Name + ".bias", lin.Bias);
            }
            set.Add(p + "attention.output.LayerNorm.weight", layer.AttentionLayerNormWeight);
            set.Add(p + "attention.output.LayerNorm.bias", layer.AttentionLayerNormBias);
            set.Add(p + "output.LayerNorm.weight", layer.OutputLayerNormWeight);
            set.Add(p + "output.LayerNorm.bias", layer.OutputLayerNormBias);
        }
        return set;
    }

    public static IEnumerable<Linear> EncoderLinears(BertEncoder model) => model.Projections;

    /// <summary>The pooled, normalised (if the checkpoint says so) embedding [C]; saves what <see cref="Backward"/> needs.</summary>
    public float[] Forward(ReadOnlySpan<int> ids)
    {
        var cfg = _model.Config;
        int T = ids.Length, C = cfg.HiddenSize, H = cfg.NumAttentionHeads, D = cfg.HeadDim, I = cfg.IntermediateSize;
        if (T == 0 || T > cfg.MaxTokens) throw new EngineException($"{T} tokens: expected 1..{cfg.MaxTokens} ({cfg.Path})");
        float eps = (float)cfg.LayerNormEps;
        var s = new Saved(ids.ToArray(), T, C, H, I, _model.Layers.Count);
        for (int t = 0; t < T; t++)
        {
            if ((uint)ids[t] >= (uint)cfg.VocabSize)
                throw new EngineException($"token id {ids[t]} is outside the vocabulary of {cfg.VocabSize} ({cfg.Path})");
            var row = s.EmbedSum.AsSpan(t * C, C);
            TensorPrimitives.Add(_model.WordEmbeddings.AsSpan(ids[t] * C, C), _model.PositionEmbeddings.AsSpan((cfg.PositionOffset + t) * C, C), row);
            TensorPrimitives.Add(row, _model.TokenTypeEmbeddings.AsSpan(0, C), row);
        }
        EncoderPasses.LayerNormForward(s.EmbedSum, _model.EmbeddingsLayerNormWeight, _model.EmbeddingsLayerNormBias, eps, s.X[0], s.EmbedStats);
        for (int l = 0; l < _model.Layers.Count; l++)
        {
            var layer = _model.Layers[l];
            var a = s.Layers[l];
            var x = s.X[l];
            _linear.Forward(layer.Query, x, a.Q, T);
            _linear.Forward(layer.Key, x, a.K, T);
            _linear.Forward(layer.Value, x, a.V, T);
            DecoderPasses.AttentionForward(a.Q, a.K, a.V, a.Att, a.Lse, T, H, H, D, causal: false);
            _linear.Forward(layer.AttentionOutput, a.Att, a.Sum1, T);
            TensorPrimitives.Add(a.Sum1, x, a.Sum1);
            EncoderPasses.LayerNormForward(a.Sum1, layer.AttentionLayerNormWeight, layer.AttentionLayerNormBias, eps, a.X1, a.Stats1);
            _linear.Forward(layer.Intermediate, a.X1, a.Inter, T);
            EncoderPasses.GeluForward(a.Inter, a.Act);
            _linear.Forward(layer.Output, a.Act, a.Sum2, T);
            TensorPrimitives.Add(a.Sum2, a.X1, a.Sum2);
            EncoderPasses.LayerNormForward(a.Sum2, layer.OutputLayerNormWeight, layer.OutputLayerNormBias, eps, s.X[l + 1], a.Stats2);
        }
        EncoderPasses.PoolForward(s.X[^1], T, _model.Pooling.Mode, s.Pooled);
        var embedding = (float[])s.Pooled.Clone();
        if (_model.Pooling.Normalize) TensorPrimitives.Divide(embedding, TensorPrimitives.Norm(embedding), embedding);
        _saved = s;
        return embedding;
    }

    /// <summary>Accumulates parameter gradients given dLoss/dembedding [C] for the text of the last <see cref="Forward"/>.</summary>
    public void Backward(ReadOnlySpan<float> dEmbedding)
    {
        var s = _saved ?? throw new InvalidOperationException("Backward needs a Forward first");
        var cfg = _model.Config;
        int T = s.T, C = cfg.HiddenSize, H = cfg.NumAttentionHeads, D = cfg.HeadDim, I = cfg.IntermediateSize;
        var dPooled = dEmbedding.ToArray();
        if (_model.Pooling.Normalize) EncoderPasses.NormalizeBackward(s.Pooled, dPooled);
        var dx = new float[T * C];
        EncoderPasses.PoolBackward(dPooled, T, _model.Pooling.Mode, dx);
        var dSum = new float[T * C];
        var dAct = new float[T * I];
        var dInter = new float[T * I];
        var dAtt = new float[T * C];
        var dq = new float[T * C];
        var dk = new float[T * C];
        var dv = new float[T * C];
        for (int l = _model.Layers.Count - 1; l >= 0; l--)
        {
            var layer = _model.Layers[l];
            var a = s.Layers[l];
            // x_{l+1} = LN2(Output(gelu(Intermediate(x1))) + x1)
            Array.Clear(dSum);
            EncoderPasses.LayerNormBackward(dx, a.Sum2, layer.OutputLayerNormWeight, a.Stats2, dSum,
                _parameters.Grad(layer.OutputLayerNormWeight), _parameters.Grad(layer.OutputLayerNormBias));
            var dx1 = (float[])dSum.Clone();
            Array.Clear(dAct);
            _linear.Backward(layer.Output, a.Act, dSum, dAct, T);
            Array.Clear(dInter);
            EncoderPasses.GeluBackward(dAct, a.Inter, dInter);
            _linear.Backward(layer.Intermediate, a.X1, dInter, dx1, T);
            // x1 = LN1(AttentionOutput(attn(q, k, v)) + x)
            Array.Clear(dSum);
            EncoderPasses.LayerNormBackward(dx1, a.Sum1, layer.AttentionLayerNormWeight, a.Stats1, dSum,
                _parameters.Grad(layer.AttentionLayerNormWeight), _parameters.Grad(layer.AttentionLayerNormBias));
            dSum.CopyTo(dx, 0);
            Array.Clear(dAtt);
            _linear.Backward(layer.AttentionOutput, a.Att, dSum, dAtt, T);
            Array.Clear(dq);
            Array.Clear(dk);
            Array.Clear(dv);
            DecoderPasses.AttentionBackward(dAtt, a.Q, a.K, a.V, a.Att, a.Lse, dq, dk, dv, T, H, H, D, causal: false);
            _linear.Backward(layer.Query, s.X[l], dq, dx, T);
            _linear.Backward(layer.Key, s.X[l], dk, dx, T);
            _linear.Backward(layer.Value, s.X[l], dv, dx, T);
        }
        Array.Clear(dSum);
        EncoderPasses.LayerNormBackward(dx, s.EmbedSum, _model.EmbeddingsLayerNormWeight, s.EmbedStats, dSum,
            _parameters.Grad(_model.EmbeddingsLayerNormWeight), _parameters.Grad(_model.EmbeddingsLayerNormBias));
        var dWord = _parameters.Grad(_model.WordEmbeddings);
        var dPos = _parameters.Grad(_model.PositionEmbeddings);
        var dType = _parameters.Grad(_model.TokenTypeEmbeddings);
        for (int t = 0; t < T; t++)
        {
            var g = dSum.AsSpan(t * C, C);
            if (!dWord.IsEmpty) TensorPrimitives.Add(dWord.Slice(s.Ids[t] * C, C), g, dWord.Slice(s.Ids[t] * C, C));
            if (!dPos.IsEmpty) TensorPrimitives.Add(dPos.Slice((cfg.PositionOffset + t) * C, C), g, dPos.Slice((cfg.PositionOffset + t) * C, C));
            if (!dType.IsEmpty) TensorPrimitives.Add(dType[..C], g, dType[..C]);
        }
    }

    private sealed class Saved
    {
        public Saved(int[] ids, int T, int C, int H, int I, int layers)
        {
            Ids = ids;
            this.T = T;
            EmbedSum = new float[T * C];
            EmbedStats = new float[2 * T];
            X = Enumerable.Range(0, layers + 1).Select(_ => new float[T * C]).ToArray();
            Layers = Enumerable.Range(0, layers).Select(_ => new LayerActivations(T, C, H, I)).ToArray();
            Pooled = new float[C];
        }

        public int[] Ids { get; }
        public int T { get; }
        public float[] EmbedSum { get; }      // [T, C] word + position + type
        public float[] EmbedStats { get; }    // [2, T] mean, rstd
        public float[][] X { get; }           // [L+1][T, C] input of each layer, last = last_hidden_state
        public LayerActivations[] Layers { get; }
        public float[] Pooled { get; }        // [C] before normalisation
    }

    private sealed class LayerActivations(int T, int C, int H, int I)
    {
        public float[] Q { get; } = new float[T * C];
        public float[] K { get; } = new float[T * C];
        public float[] V { get; } = new float[T * C];
        public float[] Lse { get; } = new float[H * T];   // [H, T] log-sum-exp of each softmax row
        public float[] Att { get; } = new float[T * C];
        public float[] Sum1 { get; } = new float[T * C];   // dense(att) + x, before LayerNorm
        public float[] Stats1 { get; } = new float[2 * T];
        public float[] X1 { get; } = new float[T * C];
        public float[] Inter { get; } = new float[T * I]; // before GELU
        public float[] Act { get; } = new float[T * I];
        public float[] Sum2 { get; } = new float[T * C];
        public float[] Stats2 { get; } = new float[2 * T];
    }
}
