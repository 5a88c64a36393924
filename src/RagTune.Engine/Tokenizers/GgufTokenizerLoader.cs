// Builds a tokenizer from GGUF metadata (tokenizer.ggml.*) as llama.cpp writes it: "gpt2" byte-level BPE,
// "llama" SentencePiece (score-ranked merges, byte tokens), "bert" WordPiece, "t5" SentencePiece Unigram (llama.cpp's UGM).
using RagTune.Engine.Formats;

namespace RagTune.Engine.Tokenizers;

internal static class GgufTokenizerLoader
{
    // llama_token_type values.
    private const int TypeControl = 3;
    private const int TypeUserDefined = 4;

    public static TokenizerBase Load(GgufFile gguf)
    {
        string path = gguf.Path;
        string model = gguf.GetString("tokenizer.ggml.model");
        string[] tokens = gguf.GetStringArray("tokenizer.ggml.tokens");
        int[]? types = gguf.GetInt32ArrayOrNull("tokenizer.ggml.token_type");
        if (types is not null && types.Length != tokens.Length)
            throw new EngineException($"{path}: tokenizer.ggml.token_type has {types.Length} entries, expected {tokens.Length} (one per token).");

        if (model == "bert") tokens = tokens.Select(FromPhantomSpace).ToArray();
        var vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) vocab.TryAdd(tokens[i], i);

        var parts = new TokenizerParts { Source = path, Vocab = vocab };
        if (types is not null)
        {
            for (int i = 0; i < tokens.Length; i++)
            {
                if (types[i] == TypeControl) parts.AddedTokens.Add(new AddedToken(i, tokens[i], Special: true));
                else if (types[i] == TypeUserDefined) parts.AddedTokens.Add(new AddedToken(i, tokens[i], Special: false));
            }
        }
        parts.BosId = Id(gguf, "tokenizer.ggml.bos_token_id", tokens.Length);
        parts.EosId = Id(gguf, "tokenizer.ggml.eos_token_id", tokens.Length);
        parts.UnkId = Id(gguf, "tokenizer.ggml.unknown_token_id", tokens.Length);
        parts.PadId = Id(gguf, "tokenizer.ggml.padding_token_id", tokens.Length);
        if (model == "t5")
        {
            // llama.cpp's defaults for T5 vocabularies that do not name them.
            parts.EosId ??= 1;
            parts.UnkId ??= 2;
            parts.PadId ??= 0;
        }
        int? sepId = Id(gguf, "tokenizer.ggml.seperator_token_id", tokens.Length);
        bool addBos = gguf.GetBoolOrNull("tokenizer.ggml.add_bos_token") ?? model is "llama" or "bert";
        bool addEos = gguf.GetBoolOrNull("tokenizer.ggml.add_eos_token") ?? model is "bert" or "t5";
        // BERT GGUFs name [CLS] as BOS and [SEP] as EOS/separator.
        if (addBos && parts.BosId is int bos) parts.PrefixIds = [bos];
        if (addEos && (model == "bert" ? sepId ?? parts.EosId : parts.EosId) is int eos) parts.SuffixIds = [eos];

        switch (model)
        {
            case "gpt2":
            {
                string[] mergeLines = gguf.GetStringArray("tokenizer.ggml.merges");
                var merges = new List<MergeRule>(mergeLines.Length);
                for (int i = 0; i < mergeLines.Length; i++)
                    merges.Add(MergeRule.FromLine(mergeLines[i])
                        ?? throw new EngineException($"{path}: tokenizer.ggml.merges[{i}] is \"{mergeLines[i]}\", expected two tokens separated by one space."));
                string pre = gguf.GetStringOrNull("tokenizer.ggml.pre") ?? "default";
                var (pattern, ignoreMerges) = PreTokenizerPatterns.ForGgufPre(pre)
                    ?? throw new EngineException($"{path}: tokenizer.ggml.pre is \"{pre}\", expected one of gpt-2, default, qwen2, llama-bpe, llama3 (and their aliases).");
                parts.PreTokenizer = new SplitPreTokenizer(new CodePointRegex(pattern, path), null, SplitBehavior.Isolated, invert: false);
                var bpe = new BpeModel(vocab, null, merges, null, $"{path} (tokenizer.ggml.merges)", ignoreMerges: ignoreMerges);
                return new ByteLevelBpeTokenizer(parts, bpe);
            }
            case "llama":
            {
                float[] scores = gguf.GetFloat32ArrayOrNull("tokenizer.ggml.scores")
                    ?? throw new EngineException($"{path}: GGUF metadata key 'tokenizer.ggml.scores' is missing (a \"llama\" tokenizer needs one score per token).");
                if (scores.Length != tokens.Length)
                    throw new EngineException($"{path}: tokenizer.ggml.scores has {scores.Length} entries, expected {tokens.Length}.");
                var spaces = new ReplaceNormalizer(null, " ", "\u2581");
                bool addSpacePrefix = gguf.GetBoolOrNull("tokenizer.ggml.add_space_prefix") ?? true;
                parts.Normalizer = addSpacePrefix ? new SequenceNormalizer([new PrependNormalizer("\u2581"), spaces]) : spaces;
                bool byteFallback = vocab.ContainsKey("<0x00>");
                var bpe = new BpeModel(vocab, tokens, null, scores, path, byteFallback: byteFallback, unkId: parts.UnkId);
                return new SentencePieceBpeTokenizer(parts, bpe, stripLeadingSpace: addSpacePrefix, byteTokens: byteFallback);
            }
            case "bert":
            {
                int unk = parts.UnkId ?? (vocab.TryGetValue("[UNK]", out int u) ? u
                    : throw new EngineException($"{path}: tokenizer.ggml.unknown_token_id is missing and there is no [UNK] token."));
                parts.UnkId = unk;
                parts.Normalizer = new BertNormalizer(true, true, true, true);
                parts.PreTokenizer = new BertPreTokenizer(splitPunctuation: true);
                return new WordPieceTokenizer(parts, unk, "##", 100, cleanUp: true);
            }
            case "t5":
            {
                float[] scores = gguf.GetFloat32ArrayOrNull("tokenizer.ggml.scores")
                    ?? throw new EngineException($"{path}: GGUF metadata key 'tokenizer.ggml.scores' is missing (a \"t5\" Unigram tokenizer needs one score per token).");
                if (scores.Length != tokens.Length)
                    throw new EngineException($"{path}: tokenizer.ggml.scores has {scores.Length} entries, expected {tokens.Length}.");
                PrecompiledNormalizer? charsmap = null;
                if (gguf.GetInt32ArrayOrNull("tokenizer.ggml.precompiled_charsmap") is { } values)
                    charsmap = PrecompiledNormalizer.Parse(values.Select(v => (byte)v).ToArray(), what => new EngineException(
                        $"{path}: tokenizer.ggml.precompiled_charsmap is {what}, expected SentencePiece's precompiled charsmap (u32 trie size, Darts double-array trie, NUL-terminated replacements)."));
                bool addSpacePrefix = gguf.GetBoolOrNull("tokenizer.ggml.add_space_prefix") ?? false;
                var userDefined = types is null ? [] : tokens.Where((_, i) => types[i] == TypeUserDefined).ToList();
                parts.Normalizer = new SentencePieceNormalizer(charsmap, userDefined, addSpacePrefix,
                    gguf.GetBoolOrNull("tokenizer.ggml.remove_extra_whitespaces") ?? false);
                var unigram = new UnigramModel(tokens.Select((t, i) => (t, (double)scores[i])).ToList(), parts.UnkId,
                    byteFallback: false, path, types ?? Enumerable.Repeat(1, tokens.Length).ToArray());
                return new UnigramTokenizer(parts, unigram, stripLeadingSpace: addSpacePrefix);
            }
            default:
                throw new EngineException($"{path}: tokenizer.ggml.model is \"{model}\", expected \"gpt2\", \"llama\", \"bert\" or \"t5\".");
        }
    }

    private static int? Id(GgufFile gguf, string key, int vocabSize)
    {
        long? id = gguf.GetIntegerOrNull(key);
        if (id is null) return null;
        if (id < 0 || id >= vocabSize)
            throw new EngineException($"{gguf.Path}: {key} is {id}, expected an id below the vocabulary size {vocabSize}.");
        return (int)id;
    }

    /// <summary>llama.cpp's BERT conversion marks word starts with "▁" and drops "##"; this restores WordPiece's form.</summary>
    private static string FromPhantomSpace(string token)
    {
        if (token.StartsWith('[') && token.EndsWith(']')) return token;
        if (token.StartsWith('\u2581')) return token[1..];
        return "##" + token;
    }
}
