// The pre-tokenizer split regexes of the byte-level BPE families, and the GGUF "tokenizer.ggml.pre" names that select them.
namespace RagTune.Engine.Tokenizers;

public static class PreTokenizerPatterns
{
    /// <summary>GPT-2 (also used by ByteLevel pre-tokenizers with use_regex = true).</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2/Qwen2.5/Qwen3 (Qwen2Tokenizer.PRETOKENIZE_REGEX): digits one at a time.</summary>
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>LLaMA-3: as Qwen2 but up to three digits per piece.</summary>
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Pattern and ignore_merges for a GGUF tokenizer.ggml.pre value (llama.cpp's names), or null if unknown.</summary>
    public static (string Pattern, bool IgnoreMerges)? ForGgufPre(string pre) => pre switch
    {
        "default" or "gpt2" or "gpt-2" or "phi-2" or "roberta-bpe" or "jina-es" or "jina-de" or "jina-v1-en"
            or "jina-v2-es" or "jina-v2-de" or "jina-v2-code" or "gigachat" => (Gpt2, false),
        "qwen2" or "deepseek-r1-qwen" or "megrez" => (Qwen2, false),
        "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "pixtral" => (Llama3, true),
        _ => null,
    };
}
