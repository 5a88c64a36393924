// A BERT-family cross-encoder reranker (BertForSequenceClassification, XLMRobertaForSequenceClassification — the
// ms-marco cross-encoders and the bge-reranker family): the (query, passage) pair encoded together as the Hugging Face
// tokenizer builds pairs, the classification head on the first token, score = sigmoid(logit) (num_labels 1).
// Heads, after modeling_bert.py and modeling_xlm_roberta.py (dropout is the identity at inference):
//   BERT:        logit = classifier(tanh(pooler.dense(h[CLS])))
//   RoBERTa/XLM-R: logit = classifier.out_proj(tanh(classifier.dense(h[<s>])))
// Letters: C hidden_size.
using System.Numerics.Tensors;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Models;

public sealed class BertCrossEncoder : IRerankerModel
{
    public BertEncoder Encoder { get; }
    public TokenizerBase Tokenizer { get; }
    public string Directory { get; }

    private readonly Linear _dense;   // [C, C]: BERT's pooler.dense, RoBERTa's classifier.dense
    private readonly Linear _output;  // [1, C]: BERT's classifier, RoBERTa's classifier.out_proj
    private readonly int _cls, _sep;

    private BertCrossEncoder(string directory, BertEncoder encoder, TokenizerBase tokenizer, Linear dense, Linear output)
    {
        Directory = directory;
        Encoder = encoder;
        Tokenizer = tokenizer;
        _dense = dense;
        _output = output;
        if (tokenizer.PrefixIds.Count != 1 || tokenizer.SuffixIds.Count != 1)
            throw new EngineException($"{tokenizer.Source}: the post-processor adds [{string.Join(", ", tokenizer.PrefixIds)}] before and [{string.Join(", ", tokenizer.SuffixIds)}] after a text, expected one classification token before and one separator after ([CLS] … [SEP] or <s> … </s>)");
        _cls = tokenizer.PrefixIds[0];
        _sep = tokenizer.SuffixIds[0];
    }

    /// <summary>Loads a *ForSequenceClassification checkpoint with one label. Another head, or another label count, is
    /// refused with the config.json field that says so.</summary>
    public static BertCrossEncoder Load(string directory)
    {
        var config = ModelConfig.Load(directory) as BertConfig
            ?? throw new EngineException($"{System.IO.Path.Combine(directory, ModelConfig.FileName)}: architecture {ModelConfig.Load(directory).Architecture} is not a cross-encoder, expected BertForSequenceClassification or XLMRobertaForSequenceClassification");
        if (config.Head != "ForSequenceClassification")
            throw new EngineException($"{config.Path}: field \"architectures\" is [\"{config.Architecture}\"], expected a cross-encoder reranker ({config.Family}ForSequenceClassification with one label)");
        if (config.NumLabels != 1)
            throw new EngineException($"{config.Path}: field \"id2label\"/\"num_labels\" gives {config.NumLabels} labels, expected 1 (a reranker's single relevance logit)");
        var tokenizer = Tokenizers.Tokenizer.Load(directory);
        var encoder = BertEncoder.Load(directory, config, Pooling.Default);
        try
        {
            long c = config.HiddenSize;
            string dense = config.IsRoberta ? "classifier.dense" : encoder.Prefix + "pooler.dense";
            string output = config.IsRoberta ? "classifier.out_proj" : "classifier";
            var w = Weights.Validate(encoder.Checkpoint,
                [new(dense + ".weight", [c, c]), new(dense + ".bias", [c]), new(output + ".weight", [1, c]), new(output + ".bias", [1])]);
            return new BertCrossEncoder(directory, encoder, tokenizer, w.Linear(dense, bias: true), w.Linear(output, bias: true));
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    public BertConfig Config => Encoder.Config;

    /// <summary>The pair as the Hugging Face tokenizer encodes it with special tokens and truncation="longest_first" to the
    /// model's positions, in the layout of the tokenizer's pair template (<see cref="TokenizerBase.Pair"/>); without one,
    /// BERT [CLS] q [SEP] p [SEP] with token types 0…0 1…1 and RoBERTa/XLM-R &lt;s&gt; q &lt;/s&gt;&lt;/s&gt; p &lt;/s&gt;, all type 0.</summary>
    public (int[] Ids, int[] TokenTypeIds) Tokenize(string query, string passage)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(passage);
        var template = Tokenizer.Pair;
        int added = template?.SpecialCount ?? (Config.IsRoberta ? 4 : 3);
        var (a, b) = TruncateLongestFirst(Tokenizer.Encode(query), Tokenizer.Encode(passage), Config.MaxTokens - added);
        if (template is not null) return template.Apply(a, b);
        int[] ids = Config.IsRoberta
            ? [_cls, .. a, _sep, _sep, .. b, _sep]
            : [_cls, .. a, _sep, .. b, _sep];
        var types = new int[ids.Length];
        if (!Config.IsRoberta) types.AsSpan(a.Length + 2).Fill(1);
        return (ids, types);
    }

    /// <summary>The classifier's logit for one pair.</summary>
    public float Logit(string query, string passage)
    {
        var (ids, types) = Tokenize(query, passage);
        int C = Config.HiddenSize;
        var hidden = Encoder.Forward(ids, types);   // [T, C]; the head reads the first row
        var h = new float[C];
        var logit = new float[1];
        _dense.Forward(hidden.AsSpan(0, C), h, 1);
        TensorPrimitives.Tanh(h, h);
        _output.Forward(h, logit, 1);
        if (!float.IsFinite(logit[0])) throw NonFiniteValues.Error(Encoder.Checkpoint, "the reranker logit");
        return logit[0];
    }

    public float Score(string query, string passage) => 1f / (1f + MathF.Exp(-Logit(query, passage)));

    /// <summary>Hugging Face tokenizers' longest_first truncation of a pair to <paramref name="budget"/> tokens (special
    /// tokens already taken off): when both must shrink they get half each (the longer one the odd token), else only
    /// the longer one is cut, always from the end.</summary>
    internal static (int[] A, int[] B) TruncateLongestFirst(int[] a, int[] b, int budget)
    {
        if (budget < 2) throw new ArgumentOutOfRangeException(nameof(budget), budget, "no room for a query and a passage");
        if (a.Length + b.Length <= budget) return (a, b);
        int n1 = a.Length, n2 = b.Length;
        bool swap = n1 > n2;
        if (swap) (n1, n2) = (n2, n1);
        n2 = n1 > budget ? n1 : Math.Max(n1, budget - n1);
        if (n1 + n2 > budget)
        {
            n1 = budget / 2;
            n2 = n1 + budget % 2;
        }
        if (swap) (n1, n2) = (n2, n1);
        return (a[..Math.Min(n1, a.Length)], b[..Math.Min(n2, b.Length)]);
    }

    public void Dispose() => Encoder.Dispose();
}
