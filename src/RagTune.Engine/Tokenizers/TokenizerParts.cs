// The pieces a loader assembles before building a concrete tokenizer (vocabulary, added tokens, pipeline, special ids).
namespace RagTune.Engine.Tokenizers;

internal sealed class TokenizerParts
{
    /// <summary>Where the tokenizer came from (file path), for error messages.</summary>
    public required string Source { get; init; }

    /// <summary>The model's vocabulary (without added tokens that are not part of it).</summary>
    public required Dictionary<string, int> Vocab { get; init; }

    public List<AddedToken> AddedTokens { get; init; } = new();
    public Normalizer? Normalizer { get; set; }
    public PreTokenizer? PreTokenizer { get; set; }
    public int[] PrefixIds { get; set; } = [];
    public int[] SuffixIds { get; set; } = [];

    /// <summary>The post-processor's pair layout, where it declares one.</summary>
    public PairTemplate? Pair { get; set; }
    /// <summary>SentencePiece's own decoding with remove_extra_whitespaces (sentencepiece_processor.cc): while nothing has
    /// been written yet, each token loses its leading "▁" (so leading whitespace-only pieces decode to nothing). Hugging
    /// Face's Metaspace decoder strips the first token's only.</summary>
    public bool StripLeadingSpaceUntilText { get; set; }
    public int? BosId { get; set; }
    public int? EosId { get; set; }
    public int? PadId { get; set; }
    public int? UnkId { get; set; }

    /// <summary>Id → string over vocabulary and added tokens (holes are null).</summary>
    public string?[] BuildIdToToken()
    {
        int size = 0;
        foreach (int id in Vocab.Values) size = Math.Max(size, id + 1);
        foreach (var t in AddedTokens) size = Math.Max(size, t.Id + 1);
        var table = new string?[size];
        foreach (var (token, id) in Vocab)
        {
            if (id < 0) throw new EngineException($"{Source}: token \"{token}\" has negative id {id}.");
            table[id] = token;
        }
        foreach (var t in AddedTokens) table[t.Id] ??= t.Content;
        return table;
    }
}
