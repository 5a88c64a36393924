// BERT-family encoder (BERT, RoBERTa, XLM-R under any head class) with the checkpoint's pooling: token ids → one embedding per text.
// Written after transformers' modeling_bert.py. Texts are encoded one at a time, so there is no padding and no mask:
// exactly what the padded batch computes for the real tokens (padded keys get zero attention weight there).
// Letters: T tokens, C hidden_size, H heads, D head_dim, I intermediate_size.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

public sealed class BertEncoder : IEmbeddingModel
{
    public BertConfig Config { get; }
    public Pooling Pooling { get; }
    public float[] WordEmbeddings { get; }        // [vocab, C]
    public float[] PositionEmbeddings { get; }    // [max_position_embeddings, C]
    public float[] TokenTypeEmbeddings { get; }   // [type_vocab_size, C]
    public float[] EmbeddingsLayerNormWeight { get; } // [C]
    public float[] EmbeddingsLayerNormBias { get; }   // [C]
    public IReadOnlyList<BertLayer> Layers { get; }

    /// <summary>The name prefix the checkpoint uses: "" for BertModel saves, "bert."/"roberta." for *For* heads.</summary>
    public string Prefix { get; }

    // The mapped checkpoint that F32/BF16 weight matrices are read from in place.
    private readonly Checkpoint _checkpoint;

    private BertEncoder(BertConfig config, Pooling pooling, Weights w, string prefix, Checkpoint checkpoint)
    {
        _checkpoint = checkpoint;
        Config = config;
        Pooling = pooling;
        Prefix = prefix;
        WordEmbeddings = w.Read("embeddings.word_embeddings.weight");
        PositionEmbeddings = w.Read("embeddings.position_embeddings.weight");
        TokenTypeEmbeddings = w.Read("embeddings.token_type_embeddings.weight");
        EmbeddingsLayerNormWeight = w.Read("embeddings.LayerNorm.weight");
        EmbeddingsLayerNormBias = w.Read("embeddings.LayerNorm.bias");
        var layers = new BertLayer[config.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            string p = $"encoder.layer.{l}.";
            layers[l] = new BertLayer
            {
                Query = w.Linear(p + "attention.self.query", bias: true),
                Key = w.Linear(p + "attention.self.key", bias: true),
                Value = w.Linear(p + "attention.self.value", bias: true),
                AttentionOutput = w.Linear(p + "attention.output.dense", bias: true),
                AttentionLayerNormWeight = w.Read(p + "attention.output.LayerNorm.weight"),
                AttentionLayerNormBias = w.Read(p + "attention.output.LayerNorm.bias"),
                Intermediate = w.Linear(p + "intermediate.dense", bias: true),
                Output = w.Linear(p + "output.dense", bias: true),
                OutputLayerNormWeight = w.Read(p + "output.LayerNorm.weight"),
                OutputLayerNormBias = w.Read(p + "output.LayerNorm.bias"),
            };
        }
        Layers = layers;
    }

    public static BertEncoder Load(string directory)
    {
        var config = ModelConfig.Load(directory) as BertConfig
            ?? throw new EngineException($"{directory}: {ModelConfig.Load(directory).Architecture} is not an encoder, expected a BERT, RoBERTa or XLM-R checkpoint (BertModel, XLMRobertaForSequenceClassification, …)");
        return Load(directory, config, Pooling.Load(directory));
    }

    /// <summary>Opens the checkpoint in <paramref name="directory"/> and reads the encoder from it, under whichever prefix
    /// the checkpoint uses; tensors of heads (classifier, lm_head, cls, pooler) stay unread.</summary>
    internal static BertEncoder Load(string directory, BertConfig config, Pooling pooling)
    {
        var checkpoint = Checkpoint.Open(directory);
        try
        {
            string prefix = CheckpointPrefix(checkpoint);
            return new BertEncoder(config, pooling, Weights.Validate(checkpoint, config.ExpectedTensors(), prefix), prefix, checkpoint);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The mapped checkpoint, for heads that read their own tensors from it (see BertCrossEncoder).</summary>
    internal Checkpoint Checkpoint => _checkpoint;

    /// <summary>Closes the checkpoint; the in-place weight matrices cannot be used afterwards.</summary>
    public void Dispose() => _checkpoint.Dispose();

    public int Dimensions => Config.HiddenSize;

    ModelConfig IEmbeddingModel.Config => Config;
    int IEmbeddingModel.MaxTokens => Config.MaxTokens;

    /// <summary>Every projection of every layer (query, key, value, attention output, intermediate, output).</summary>
    public IEnumerable<Linear> Projections => Layers.SelectMany(LayerProjections);

    /// <summary>One layer's projections, in checkpoint order.</summary>
    public static IEnumerable<Linear> LayerProjections(BertLayer l) => [l.Query, l.Key, l.Value, l.AttentionOutput, l.Intermediate, l.Output];

    /// <summary>"", "bert." or "roberta.": whichever makes the checkpoint's word embeddings resolve.</summary>
    public static string CheckpointPrefix(Checkpoint checkpoint) =>
        new[] { "", "bert.", "roberta." }.FirstOrDefault(p => checkpoint.Contains(p + "embeddings.word_embeddings.weight")) ?? "";

    /// <summary>last_hidden_state [T, C] for one text's ids (with its [CLS]/[SEP] already in place), token type 0 throughout.</summary>
    public float[] Forward(ReadOnlySpan<int> ids) => Forward(ids, [], null);

    /// <summary>last_hidden_state [T, C] for one text's ids, token type 0 throughout, with <paramref name="adapters"/>
    /// (LoRA, unmerged) on its projections when given.</summary>
    public float[] Forward(ReadOnlySpan<int> ids, AdapterSet? adapters) => Forward(ids, [], adapters);

    /// <summary>last_hidden_state [T, C] for ids with their token_type_ids [T] (a sentence pair: 0 for the first segment,
    /// 1 for the second); an empty <paramref name="tokenTypeIds"/> means type 0 throughout. <paramref name="adapters"/>
    /// (LoRA, unmerged) apply to its projections when given.</summary>
    public float[] Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> tokenTypeIds, AdapterSet? adapters = null)
    {
        var cfg = Config;
        int T = ids.Length, C = cfg.HiddenSize, H = cfg.NumAttentionHeads, D = cfg.HeadDim, I = cfg.IntermediateSize;
        if (T == 0) throw new ArgumentException("no tokens to encode");
        if (!tokenTypeIds.IsEmpty && tokenTypeIds.Length != T)
            throw new ArgumentException($"{tokenTypeIds.Length} token type ids for {T} tokens", nameof(tokenTypeIds));
        if (T > cfg.MaxTokens)
            throw new EngineException($"{T} tokens exceed the {cfg.MaxTokens} positions of {cfg.Path}");
        float eps = (float)cfg.LayerNormEps;
        var x = new float[T * C];        // [T, C] hidden states
        var q = new float[T * C];        // [T, H·D]
        var k = new float[T * C];        // [T, H·D] → [H, T, D] for the attention kernel
        var v = new float[T * C];
        var kh = new float[T * C];       // [H, T, D]
        var vh = new float[T * C];       // [H, T, D]
        var att = new float[T * C];      // [T, C]
        var h = new float[T * C];        // [T, C]
        var inter = new float[T * I];    // [T, I]
        var scores = new float[T];       // [T]

        // embeddings = LayerNorm(word + position + token_type)
        for (int t = 0; t < T; t++)
        {
            if ((uint)ids[t] >= (uint)cfg.VocabSize)
                throw new EngineException($"token id {ids[t]} is outside the vocabulary of {cfg.VocabSize} ({cfg.Path})");
            int type = tokenTypeIds.IsEmpty ? 0 : tokenTypeIds[t];
            if ((uint)type >= (uint)cfg.TypeVocabSize)
                throw new EngineException($"token type id {type} is outside the type_vocab_size of {cfg.TypeVocabSize} ({cfg.Path})");
            var row = x.AsSpan(t * C, C);
            TensorPrimitives.Add(WordEmbeddings.AsSpan(ids[t] * C, C), PositionEmbeddings.AsSpan((cfg.PositionOffset + t) * C, C), row);
            TensorPrimitives.Add(row, TokenTypeEmbeddings.AsSpan(type * C, C), row);
        }
        LayerNorm.Forward(x, EmbeddingsLayerNormWeight, EmbeddingsLayerNormBias, eps, x);

        foreach (var layer in Layers)
        {
            // BertSelfAttention: softmax(q·kᵀ/√D)·v over all T tokens (no causal mask)
            layer.Query.Forward(x, q, T, adapters);
            layer.Key.Forward(x, k, T, adapters);
            layer.Value.Forward(x, v, T, adapters);
            ToHeadMajor(k, kh, T, H, D);
            ToHeadMajor(v, vh, T, H, D);
            Attention.Forward(q, kh, vh, att, scores, new AttentionShape(T, H, H, D, T, 0, T, Causal: false));
            // BertSelfOutput: x = LayerNorm(dense(att) + x)
            layer.AttentionOutput.Forward(att, h, T, adapters);
            TensorPrimitives.Add(h, x, h);
            LayerNorm.Forward(h, layer.AttentionLayerNormWeight, layer.AttentionLayerNormBias, eps, x);
            // BertIntermediate + BertOutput: x = LayerNorm(dense(gelu(dense(x))) + x)
            layer.Intermediate.Forward(x, inter, T, adapters);
            Activations.Gelu(inter);
            layer.Output.Forward(inter, h, T, adapters);
            TensorPrimitives.Add(h, x, h);
            LayerNorm.Forward(h, layer.OutputLayerNormWeight, layer.OutputLayerNormBias, eps, x);
        }
        return x;
    }

    /// <summary>The pooled (and, if declared, normalised) embedding [C] of one text's ids; an EngineException naming the
    /// checkpoint when it is NaN or infinite (a damaged weight file), never a vector of NaN.</summary>
    public float[] Embed(ReadOnlySpan<int> ids) => Embed(ids, null);

    /// <summary>The pooled embedding like <see cref="Embed(ReadOnlySpan{int})"/>, with <paramref name="adapters"/> (LoRA,
    /// unmerged) on the encoder's projections when given.</summary>
    public float[] Embed(ReadOnlySpan<int> ids, AdapterSet? adapters)
    {
        var hidden = Forward(ids, adapters);
        var embedding = new float[Config.HiddenSize];
        Pooling.Apply(hidden, ids.Length, embedding);
        if (!TensorPrimitives.IsFiniteAll<float>(embedding)) throw NonFiniteValues.Error(_checkpoint, "the embedding");
        return embedding;
    }

    public long ParameterCount =>
        WordEmbeddings.LongLength + PositionEmbeddings.LongLength + TokenTypeEmbeddings.LongLength + 2L * Config.HiddenSize
        + Layers.Sum(l => l.Query.ParameterCount + l.Key.ParameterCount + l.Value.ParameterCount + l.AttentionOutput.ParameterCount
            + l.Intermediate.ParameterCount + l.Output.ParameterCount + 4L * Config.HiddenSize);

    private static void ToHeadMajor(ReadOnlySpan<float> src, Span<float> dst, int T, int H, int D)
    {
        for (int t = 0; t < T; t++)
            for (int hh = 0; hh < H; hh++)
                src.Slice((t * H + hh) * D, D).CopyTo(dst.Slice((hh * T + t) * D, D));
    }
}
