// BertModel / XLMRobertaModel / RobertaModel config.json (modeling_bert.py, modeling_xlm_roberta.py, modeling_roberta.py),
// under any head class: a BertForTokenClassification or XLMRobertaForSequenceClassification checkpoint holds the same
// encoder (saved under "bert."/"roberta.") plus its head, which the encoder ignores. The only encoder difference we need:
// RoBERTa and XLM-R number positions from padding_idx + 1 (create_position_ids_from_input_ids), BERT from 0.
namespace RagTune.Engine.Models;

public sealed class BertConfig : ModelConfig
{
    /// <summary>The encoder families, as architecture-name prefixes.</summary>
    internal static readonly string[] Families = ["Bert", "XLMRoberta", "Roberta"];

    /// <summary>The head classes transformers puts on those encoders (BertForPreTraining is BERT's own).</summary>
    internal static readonly string[] Heads =
        ["Model", "ForMaskedLM", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering", "ForMultipleChoice"];

    /// <summary>Every architecture name that loads as a BERT-family encoder.</summary>
    internal static IEnumerable<string> ArchitectureNames =>
        Families.SelectMany(family => Heads.Select(head => family + head)).Append("BertForPreTraining");

    public int IntermediateSize { get; }
    public int TypeVocabSize { get; }
    public double LayerNormEps { get; }
    public int PadTokenId { get; }

    /// <summary>"Bert", "XLMRoberta" or "Roberta".</summary>
    public string Family { get; }

    /// <summary>The head class after the family ("Model", "ForSequenceClassification", …).</summary>
    public string Head { get; }

    /// <summary>Classifier outputs of a *ForSequenceClassification/*ForTokenClassification head: id2label's size, else
    /// num_labels, else 2 (transformers' PretrainedConfig default).</summary>
    public int NumLabels { get; }

    /// <summary>RoBERTa and XLM-R: positions from padding_idx + 1, &lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt; pairs,
    /// the classification head on the encoder's first token.</summary>
    public bool IsRoberta => Family != "Bert";

    /// <summary>The position id of the first token.</summary>
    public int PositionOffset => IsRoberta ? PadTokenId + 1 : 0;

    /// <summary>The most tokens one text may have.</summary>
    public int MaxTokens => MaxPositionEmbeddings - PositionOffset;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    internal BertConfig(JsonFields f, string architecture) : base(f, architecture)
    {
        Family = Families.First(architecture.StartsWith);
        Head = architecture[Family.Length..];
        NumLabels = f.Element("id2label") is { ValueKind: System.Text.Json.JsonValueKind.Object } labels
            ? labels.EnumerateObject().Count()
            : Positive(f, "num_labels", 2);
        IntermediateSize = Positive(f, "intermediate_size");
        TypeVocabSize = Positive(f, "type_vocab_size", 2);
        LayerNormEps = f.Double("layer_norm_eps", 1e-12);
        PadTokenId = f.Int("pad_token_id", IsRoberta ? 1 : 0);
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
