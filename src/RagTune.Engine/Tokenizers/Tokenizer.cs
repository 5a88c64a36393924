// Entry points: load a tokenizer from a checkpoint folder, a tokenizer.json, or a GGUF file's metadata.
namespace RagTune.Engine.Tokenizers;

public static class Tokenizer
{
    /// <summary>Loads the tokenizer of a Hugging Face checkpoint folder: tokenizer.json if present, else
    /// vocab.json + merges.txt (byte-level BPE), else vocab.txt (BERT WordPiece), else a SentencePiece
    /// tokenizer.model (LLaMA-2, InternLM2); tokenizer_config.json supplies
    /// added tokens and special ids where the files themselves do not. A GGUF file gives its metadata's tokenizer.</summary>
    public static TokenizerBase Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (Formats.GgufFile.IsGgufFile(directory)) return FromGguf(directory);
        if (!Directory.Exists(directory))
            throw new EngineException($"{directory}: tokenizer folder not found.");
        string tokenizerJson = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(tokenizerJson)) return TokenizerJsonLoader.Load(tokenizerJson);
        string vocabJson = Path.Combine(directory, "vocab.json");
        string merges = Path.Combine(directory, "merges.txt");
        if (File.Exists(vocabJson) || File.Exists(merges))
        {
            if (!File.Exists(merges)) throw new EngineException($"{merges}: file not found (vocab.json is present; a byte-level BPE tokenizer needs both).");
            if (!File.Exists(vocabJson)) throw new EngineException($"{vocabJson}: file not found (merges.txt is present; a byte-level BPE tokenizer needs both).");
            return VocabFilesLoader.LoadBpe(vocabJson, merges, Path.Combine(directory, "tokenizer_config.json"));
        }
        string vocabTxt = Path.Combine(directory, "vocab.txt");
        if (File.Exists(vocabTxt)) return VocabFilesLoader.LoadWordPiece(vocabTxt, Path.Combine(directory, "tokenizer_config.json"));
        string sentencePiece = Path.Combine(directory, "tokenizer.model");
        if (File.Exists(sentencePiece)) return VocabFilesLoader.LoadSentencePiece(sentencePiece, Path.Combine(directory, "tokenizer_config.json"));
        throw new EngineException($"{directory}: no tokenizer found (expected tokenizer.json, vocab.json + merges.txt, vocab.txt or a SentencePiece tokenizer.model).");
    }

    /// <summary>Loads a Hugging Face tokenizer.json (special ids also from a tokenizer_config.json beside it).</summary>
    public static TokenizerBase FromTokenizerJson(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TokenizerJsonLoader.Load(path);
    }

    /// <summary>Builds the tokenizer stored in a GGUF file's metadata (tokenizer.ggml.*).</summary>
    public static TokenizerBase FromGguf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return GgufTokenizerLoader.Load(Formats.GgufFile.Read(path));
    }
}
