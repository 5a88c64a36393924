// Text → embedding with a local encoder checkpoint: its tokenizer ([CLS] … [SEP] added), its encoder, its pooling.
// Read-only after loading, so one instance serves concurrent callers.
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Models;

public sealed class TextEmbedder
{
    public BertEncoder Encoder { get; }
    public ITokenizer Tokenizer { get; }

    public TextEmbedder(BertEncoder encoder, ITokenizer tokenizer)
    {
        Encoder = encoder;
        Tokenizer = tokenizer;
    }

    public static TextEmbedder Load(string directory) =>
        new(BertEncoder.Load(directory), Tokenizers.Tokenizer.Load(directory));

    public int Dimensions => Encoder.Dimensions;

    /// <summary>The ids the encoder sees: special tokens added, truncated to the model's positions keeping the final
    /// token (e.g. [SEP]) as sentence-transformers' truncation does.</summary>
    public int[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] ids = Tokenizer.Encode(text, addSpecialTokens: true);
        int max = Encoder.Config.MaxTokens;
        if (ids.Length <= max) return ids;
        int[] cut = ids[..max];
        cut[^1] = ids[^1];
        return cut;
    }

    public float[] Embed(string text) => Encoder.Embed(Tokenize(text));

    /// <summary>One embedding per text, in order. Texts run one after another, unpadded (see BertEncoder).</summary>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var result = new float[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result[i] = Embed(texts[i]);
        }
        return result;
    }
}
