// BertModel / XLMRobertaModel config.json (modeling_bert.py, modeling_xlm_roberta.py). The only difference we need:
// XLM-R numbers positions from padding_idx + 1 (create_position_ids_from_input_ids), BERT from 0.
namespace RagTune.Engine.Models;

public sealed class BertConfig : ModelConfig
{
    public int IntermediateSize { get; }
    public int TypeVocabSize { get; }
    public double LayerNormEps { get; }
    public int PadTokenId { get; }

    public bool IsXlmRoberta => Architecture == "XLMRobertaModel";

    /// <summary>The position id of the first token.</summary>
    public int PositionOffset => IsXlmRoberta ? PadTokenId + 1 : 0;

    /// <summary>The most tokens one text may have.</summary>
    public int MaxTokens => MaxPositionEmbeddings - PositionOffset;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    internal BertConfig(JsonFields f, string architecture) : base(f, architecture)
    {
        IntermediateSize = Positive(f, "intermediate_size");
        TypeVocabSize = Positive(f, "type_vocab_size", 2);
        LayerNormEps = f.Double("layer_norm_eps", 1e-12);
        PadTokenId = f.Int("pad_token_id", IsXlmRoberta ? 1 : 0);
        if (HiddenSize % NumAttentionHeads != 0)
            throw f.Invalid("hidden_size", HiddenSize, $"a multiple of num_attention_heads ({NumAttentionHeads})");
        if (HiddenAct != "gelu")
            throw f.Invalid("hidden_act", $"\"{HiddenAct}\"", "\"gelu\" (the exact erf GELU)");
        string positions = f.String("position_embedding_type", "absolute")!;
        if (positions != "absolute")
            throw f.Invalid("position_embedding_type", $"\"{positions}\"", "\"absolute\"");
        if (MaxTokens <= 0)
            throw f.Invalid("max_position_embeddings", MaxPositionEmbeddings, $"more than the position offset {PositionOffset}");
    }

    /// <summary>Checkpoint names without a prefix; saved from BertFor*/XLMRobertaFor* they carry "bert."/"roberta." (see BertEncoder).</summary>
    public override IReadOnlyList<TensorSpec> ExpectedTensors()
    {
        long c = HiddenSize, i = IntermediateSize;
        var list = new List<TensorSpec>
        {
            new("embeddings.word_embeddings.weight", [VocabSize, c]),
            new("embeddings.position_embeddings.weight", [MaxPositionEmbeddings, c]),
            new("embeddings.token_type_embeddings.weight", [TypeVocabSize, c]),
            new("embeddings.LayerNorm.weight", [c]),
            new("embeddings.LayerNorm.bias", [c]),
        };
        for (int l = 0; l < NumHiddenLayers; l++)
        {
            string p = $"encoder.layer.{l}.";
            DecoderConfig.AddLinear(list, p + "attention.self.query", c, c, bias: true);
            DecoderConfig.AddLinear(list, p + "attention.self.key", c, c, bias: true);
            DecoderConfig.AddLinear(list, p + "attention.self.value", c, c, bias: true);
            DecoderConfig.AddLinear(list, p + "attention.output.dense", c, c, bias: true);
            list.Add(new(p + "attention.output.LayerNorm.weight", [c]));
            list.Add(new(p + "attention.output.LayerNorm.bias", [c]));
            DecoderConfig.AddLinear(list, p + "intermediate.dense", i, c, bias: true);
            DecoderConfig.AddLinear(list, p + "output.dense", c, i, bias: true);
            list.Add(new(p + "output.LayerNorm.weight", [c]));
            list.Add(new(p + "output.LayerNorm.bias", [c]));
        }
        return list;
    }
}
