// LLaMA-2's tokenizer.json, rebuilt here from the vocab-only GGUF the way transformers' LlamaConverter builds it
// (merges from SentencePiece scores), must reproduce llama.cpp's llama-spm vectors through the tokenizer.json path.
using RagTune.Engine.Formats;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class Llama2TokenizerJsonTests
{
    private const string VectorFile = "ggml-vocab-llama-spm.gguf";

    public static TheoryData<int, string> Cases => TokenizerTestData.Cases("llama-spm", VectorFile);

    private static readonly Lazy<TokenizerBase> Llama2 = new(() =>
    {
        using var dir = new TempDirectory();
        string json = BuildTokenizerJson(GgufFile.Read(TokenizerTestData.PathOf("llama-spm", VectorFile)));
        return Tokenizer.FromTokenizerJson(dir.Write("tokenizer.json", json));
    });

    /// <summary>transformers' SentencePieceExtractor: for every piece, each split into two pieces of the vocabulary is a
    /// merge (ordered by the ids of the halves); all merges then sorted, stably, by the merged piece's score, highest first.</summary>
    private static string BuildTokenizerJson(GgufFile gguf)
    {
        string[] tokens = gguf.GetStringArray("tokenizer.ggml.tokens");
        float[] scores = gguf.GetFloat32ArrayOrNull("tokenizer.ggml.scores")!;
        var vocab = new Dictionary<string, int>();
        for (int i = 0; i < tokens.Length; i++) vocab.TryAdd(tokens[i], i);
        var merges = new List<(string Left, string Right, float Score)>();
        for (int id = 0; id < tokens.Length; id++)
        {
            string piece = tokens[id];
            var local = new List<(string, string, float)>();
            for (int split = 1; split < piece.Length; split++)
            {
                string left = piece[..split], right = piece[split..];
                if (vocab.ContainsKey(left) && vocab.ContainsKey(right)) local.Add((left, right, scores[id]));
            }
            merges.AddRange(local.OrderBy(m => vocab[m.Item1]).ThenBy(m => vocab[m.Item2]));
        }
        var ordered = merges.OrderByDescending(m => m.Score).Select(m => $"{m.Left} {m.Right}").ToArray();
        return Llama2StyleJson.Build(vocab, ordered, byteFallback: true);
    }

    [Theory, MemberData(nameof(Cases))]
    public void MatchesLlamaSpmVectors(int index, string display)
    {
        _ = display;
        var (text, expected) = TokenizerTestData.Vectors("llama-spm", VectorFile)[index];
        Assert.Equal(string.Join(' ', expected), string.Join(' ', Llama2.Value.Encode(text)));
        Assert.Equal(text, Llama2.Value.Decode(expected));
    }

    [Fact]
    public void AddsBosAndKnowsItsSpecialIds()
    {
        var tokenizer = Llama2.Value;
        Assert.Equal(TokenizerKind.SentencePieceBpe, tokenizer.Kind);
        Assert.Equal([1, 15043, 3186], tokenizer.Encode("Hello world", addSpecialTokens: true));
        Assert.Equal((1, 2, 0), (tokenizer.BosId!.Value, tokenizer.EosId!.Value, tokenizer.UnkId!.Value));
        Assert.Equal("Hello world", tokenizer.Decode([1, 15043, 3186], skipSpecialTokens: true));
    }
}
