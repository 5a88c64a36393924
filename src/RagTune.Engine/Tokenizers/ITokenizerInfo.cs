// What generation and embedding code needs to know about a tokenizer beyond encode/decode.
namespace RagTune.Engine.Tokenizers;

public interface ITokenizerInfo
{
    TokenizerKind Kind { get; }

    /// <summary>Beginning-of-sequence id where the tokenizer declares one (e.g. LLaMA's &lt;s&gt;), else null.</summary>
    int? BosId { get; }

    /// <summary>End-of-sequence id (e.g. Qwen's &lt;|endoftext|&gt;), else null.</summary>
    int? EosId { get; }

    int? PadId { get; }

    int? UnkId { get; }

    /// <summary>Added tokens in id order.</summary>
    IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Ids the post-processor puts before and after a single sequence when special tokens are added
    /// (e.g. [101] and [102] for BERT, [1] and [] for LLaMA-2).</summary>
    IReadOnlyList<int> PrefixIds { get; }

    IReadOnlyList<int> SuffixIds { get; }
}
