// What a text-embedding model is to the code that uses it: token ids in, one pooled embedding out. BERT-family encoders
// (BertEncoder) and decoder embedders (DecoderEmbedder: gte-Qwen2, Qwen3-Embedding) both are one.
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public interface IEmbeddingModel : IDisposable
{
    /// <summary>The checkpoint's config.json.</summary>
    ModelConfig Config { get; }

    /// <summary>How token states become the embedding (as the checkpoint declares it, or the stated default).</summary>
    Pooling Pooling { get; }

    int Dimensions { get; }

    /// <summary>The most tokens one text may have: the model's positions.</summary>
    int MaxTokens { get; }

    /// <summary>Every projection of every layer, where LoRA adapters attach (and merge).</summary>
    IEnumerable<Linear> Projections { get; }

    /// <summary>The pooled (and, if declared, normalised) embedding of one text's ids, special tokens in place; an
    /// EngineException naming the checkpoint when it is NaN or infinite.</summary>
    float[] Embed(ReadOnlySpan<int> ids);

    /// <summary>The embedding model in <paramref name="directory"/>: a BertModel/XLMRobertaModel encoder or a Qwen2/Qwen3/
    /// LLaMA decoder embedder (…ForCausalLM or bare …Model); decoder matrices held in <paramref name="format"/>.</summary>
    static IEmbeddingModel Load(string directory, WeightFormat format = WeightFormat.Checkpoint) => ModelConfig.Load(directory) switch
    {
        BertConfig => BertEncoder.Load(directory),
        DecoderConfig => DecoderEmbedder.Load(directory, format),
        var config => throw new EngineException($"{config.Path}: architecture '{config.Architecture}' is neither an encoder "
            + "(BertModel, XLMRobertaModel) nor a decoder embedder (Qwen2, Qwen3, LLaMA)"),
    };
}
