// A Llama-family decoder (Qwen2, Qwen3, LLaMA) used as an embedding model, as gte-Qwen2 and Qwen3-Embedding are: the
// causal decoder's final-normed hidden states (the bare Qwen2Model/Qwen3Model's last_hidden_state), pooled as the
// checkpoint's sentence-transformers files declare — last token + Normalize for both families — or, when it declares
// nothing, last-token pooling with L2 normalisation (Pooling.DecoderDefault). The tokenizer's post-processor supplies the
// final <|endoftext|> these models pool on. Texts run one at a time, unpadded: for the real tokens that is what a left- or
// right-padded batch computes (padded keys are masked; RoPE is relative, so left padding's shifted positions change nothing).
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public sealed class DecoderEmbedder : IEmbeddingModel
{
    public DecoderModel Model { get; }
    public Pooling Pooling { get; }

    /// <summary>False when the checkpoint has no modules.json and <see cref="Pooling"/> is the stated default.</summary>
    public bool PoolingDeclared { get; }

    public DecoderEmbedder(DecoderModel model, Pooling pooling, bool poolingDeclared)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pooling);
        Model = model;
        Pooling = pooling;
        PoolingDeclared = poolingDeclared;
    }

    /// <summary>Loads the decoder in <paramref name="directory"/> without needing its lm_head (see
    /// <see cref="DecoderModel.LoadBackbone"/>) and its pooling.</summary>
    public static DecoderEmbedder Load(string directory, WeightFormat format = WeightFormat.Checkpoint)
    {
        var model = DecoderModel.LoadBackbone(directory, format);
        try
        {
            bool declared = File.Exists(Path.Combine(directory, Pooling.ModulesFileName));
            return new DecoderEmbedder(model, Pooling.Load(directory, Pooling.DecoderDefault), declared);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public ModelConfig Config => Model.Config;
    public int Dimensions => Model.Config.HiddenSize;
    public int MaxTokens => Model.Config.MaxPositionEmbeddings;
    public IEnumerable<Linear> Projections =>
        Model.Layers.SelectMany(l => l.Linears);

    /// <summary>last_hidden_state [T, C] of one text's ids (its appended end-of-text token already in place).</summary>
    public float[] Forward(ReadOnlySpan<int> ids)
    {
        int T = ids.Length;
        if (T == 0) throw new ArgumentException("no tokens to embed");
        if (T > MaxTokens) throw new EngineException($"{T} tokens exceed the {MaxTokens} positions of {Model.Config.Path}");
        var hidden = new float[T * Dimensions];
        Model.CreateSession(T, Math.Min(T, 128)).ForwardHidden(ids, hidden);
        return hidden;
    }

    public float[] Embed(ReadOnlySpan<int> ids)
    {
        var hidden = Forward(ids);
        var embedding = new float[Dimensions];
        Pooling.Apply(hidden, ids.Length, embedding);
        if (!TensorPrimitives.IsFiniteAll<float>(embedding)) throw Model.NonFiniteError("the embedding");
        return embedding;
    }

    public void Dispose() => Model.Dispose();
}
