// The tokenizer algorithms RagTune implements.
namespace RagTune.Engine.Tokenizers;

public enum TokenizerKind
{
    /// <summary>GPT-2-style byte-level BPE (GPT-2, Qwen2/Qwen3, LLaMA-3).</summary>
    ByteLevelBpe,

    /// <summary>SentencePiece-style BPE over "▁"-marked text with byte fallback (LLaMA-2, Mistral).</summary>
    SentencePieceBpe,

    /// <summary>BERT WordPiece with "##" continuation pieces.</summary>
    WordPiece,

    /// <summary>SentencePiece Unigram over "▁"-marked text, highest-scoring segmentation (XLM-R, bge-m3, T5).</summary>
    Unigram,
}
