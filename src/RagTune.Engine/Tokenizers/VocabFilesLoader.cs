// Tokenizers from the "slow" Hugging Face files: vocab.json + merges.txt (GPT-2/Qwen2 byte-level BPE), vocab.txt (BERT)
// and a SentencePiece tokenizer.model (LLaMA-2, InternLM2: BPE; T5/XLM-R style: Unigram).
using System.Text;
using System.Text.Json;

namespace RagTune.Engine.Tokenizers;

internal static class VocabFilesLoader
{
    public static TokenizerBase LoadBpe(string vocabPath, string mergesPath, string configPath)
    {
        var json = new JsonFields(vocabPath);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var doc = json.Parse())
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw json.Error("(root)", JsonFields.Describe(doc.RootElement), "an object {token: id}");
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (!entry.Value.TryGetInt32(out int id) || id < 0)
                    throw json.Error($"[\"{entry.Name}\"]", JsonFields.Describe(entry.Value), "a non-negative integer id");
                vocab[entry.Name] = id;
            }
        }

        var merges = new List<MergeRule>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(mergesPath, Encoding.UTF8))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            merges.Add(MergeRule.FromLine(line)
                ?? throw new EngineException($"{mergesPath}: line {lineNumber} is \"{line}\", expected two tokens separated by one space."));
        }

        var parts = new TokenizerParts { Source = vocabPath, Vocab = vocab };
        var config = ReadConfig(configPath);
        string tokenizerClass = config.TokenizerClass ?? "Qwen2Tokenizer";
        parts.AddedTokens.AddRange(config.AddedTokens);
        // GPT-2-derived classes use GPT-2's regex; everything else (Qwen2Tokenizer above all) Qwen2's, with NFC first.
        bool gpt2 = tokenizerClass.StartsWith("GPT2", StringComparison.Ordinal) || tokenizerClass.StartsWith("Roberta", StringComparison.Ordinal);
        if (!gpt2) parts.Normalizer = new UnicodeFormNormalizer(NormalizationForm.FormC);
        parts.PreTokenizer = new SequencePreTokenizer([
            new SplitPreTokenizer(new CodePointRegex(gpt2 ? PreTokenizerPatterns.Gpt2 : PreTokenizerPatterns.Qwen2, mergesPath), null, SplitBehavior.Isolated, false),
            new ByteLevelPreTokenizer(config.AddPrefixSpace, useRegex: false),
        ]);
        SpecialIds.Resolve(parts, TokenizerKind.ByteLevelBpe, configPath);
        if (config.AddBosToken == true && parts.BosId is int bos) parts.PrefixIds = [bos];
        var model = new BpeModel(vocab, null, merges, null, mergesPath);
        return new ByteLevelBpeTokenizer(parts, model);
    }

    /// <summary>A SentencePiece model file as the slow Hugging Face classes built on it use it (LlamaTokenizer,
    /// InternLM2Tokenizer): SentencePiece's normalizer and its BPE or Unigram segmentation, control and unknown pieces as
    /// special tokens, user-defined pieces kept whole, tokenizer_config.json's added tokens and special tokens on top,
    /// BOS before the text unless add_bos_token is false.</summary>
    public static TokenizerBase LoadSentencePiece(string modelPath, string configPath)
    {
        var spm = SentencePieceModelFile.Read(modelPath);
        if (!spm.EscapeWhitespaces || spm.TreatWhitespaceAsSuffix)
            throw new EngineException($"{modelPath}: {(spm.EscapeWhitespaces ? "trainer_spec.treat_whitespace_as_suffix is true" : "normalizer_spec.escape_whitespaces is false")}, "
                + "expected the SentencePiece defaults (spaces written as \"▁\" before a word), which every LLaMA/InternLM2/XLM-R model uses.");
        var vocab = new Dictionary<string, int>(spm.Pieces.Count, StringComparer.Ordinal);
        var userDefined = new List<(string Piece, int Id)>();
        var parts = new TokenizerParts { Source = modelPath, Vocab = vocab };
        for (int id = 0; id < spm.Pieces.Count; id++)
        {
            var piece = spm.Pieces[id];
            vocab.TryAdd(piece.Text, id);
            if (piece.Type is SentencePieceModelFile.TypeControl or SentencePieceModelFile.TypeUnknown)
                parts.AddedTokens.Add(new AddedToken(id, piece.Text, Special: true));
            else if (piece.Type == SentencePieceModelFile.TypeUserDefined)
                userDefined.Add((piece.Text, id));
        }
        var config = ReadConfig(configPath);
        foreach (var t in config.AddedTokens)
        {
            int at = parts.AddedTokens.FindIndex(a => a.Id == t.Id);
            if (at >= 0) parts.AddedTokens[at] = t;
            else parts.AddedTokens.Add(t);
        }
        var kind = spm.ModelType == SentencePieceModelFile.Bpe ? TokenizerKind.SentencePieceBpe : TokenizerKind.Unigram;
        SpecialIds.Resolve(parts, kind, configPath);
        parts.UnkId ??= spm.UnkId >= 0 ? spm.UnkId : null;
        parts.BosId ??= spm.BosId >= 0 ? spm.BosId : null;
        parts.EosId ??= spm.EosId >= 0 ? spm.EosId : null;
        parts.PadId ??= spm.PadId >= 0 ? spm.PadId : null;
        if ((config.AddBosToken ?? true) && parts.BosId is int bos) parts.PrefixIds = [bos];
        if (config.AddEosToken && parts.EosId is int eos) parts.SuffixIds = [eos];

        PrecompiledNormalizer? charsmap = spm.PrecompiledCharsmap.Length == 0 ? null : PrecompiledNormalizer.Parse(spm.PrecompiledCharsmap,
            what => new EngineException($"{modelPath}: normalizer_spec.precompiled_charsmap is {what}, expected SentencePiece's precompiled charsmap (u32 trie size, Darts double-array trie, NUL-terminated replacements)."));
        parts.Normalizer = new SentencePieceNormalizer(charsmap, userDefined.Select(u => u.Piece).ToList(), spm.AddDummyPrefix, spm.RemoveExtraWhitespaces,
            prefixBeforeAnyText: true);
        // sentencepiece's decoder drops the leading "▁" of the text when either option is on, and with
        // remove_extra_whitespaces every leading whitespace-only piece's.
        bool stripLeadingSpace = spm.AddDummyPrefix || spm.RemoveExtraWhitespaces;
        parts.StripLeadingSpaceUntilText = spm.RemoveExtraWhitespaces;
        if (kind == TokenizerKind.SentencePieceBpe)
        {
            var tokens = spm.Pieces.Select(p => p.Text).ToArray();
            var bpe = new BpeModel(vocab, tokens, null, spm.Pieces.Select(p => p.Score).ToArray(), modelPath,
                byteFallback: spm.ByteFallback, unkId: spm.UnkId >= 0 ? spm.UnkId : null, fuseUnk: true);
            return new SentencePieceBpeTokenizer(parts, bpe, stripLeadingSpace, byteTokens: spm.ByteFallback, userDefined);
        }
        var unigram = new UnigramModel(spm.Pieces.Select(p => (p.Text, (double)p.Score)).ToList(), spm.UnkId >= 0 ? spm.UnkId : null,
            spm.ByteFallback, modelPath, spm.Pieces.Select(p => p.Type).ToArray());
        return new UnigramTokenizer(parts, unigram, stripLeadingSpace);
    }

    public static TokenizerBase LoadWordPiece(string vocabPath, string configPath)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        foreach (string line in File.ReadLines(vocabPath, Encoding.UTF8))
            vocab[line.TrimEnd('\r')] = id++;
        if (vocab.Count == 0) throw new EngineException($"{vocabPath}: the vocabulary is empty.");

        var config = ReadConfig(configPath);
        var parts = new TokenizerParts { Source = vocabPath, Vocab = vocab };
        string unk = config.Tokens.GetValueOrDefault("unk_token") ?? "[UNK]";
        string cls = config.Tokens.GetValueOrDefault("cls_token") ?? "[CLS]";
        string sep = config.Tokens.GetValueOrDefault("sep_token") ?? "[SEP]";
        string pad = config.Tokens.GetValueOrDefault("pad_token") ?? "[PAD]";
        string mask = config.Tokens.GetValueOrDefault("mask_token") ?? "[MASK]";
        foreach (string special in new[] { pad, unk, cls, sep, mask })
            if (vocab.TryGetValue(special, out int sid) && parts.AddedTokens.All(t => t.Id != sid))
                parts.AddedTokens.Add(new AddedToken(sid, special, Special: true));
        foreach (var t in config.AddedTokens)
            if (parts.AddedTokens.All(a => a.Id != t.Id)) parts.AddedTokens.Add(t);

        int unkId = vocab.TryGetValue(unk, out int u) ? u
            : throw new EngineException($"{vocabPath}: the unknown token \"{unk}\" is not in the vocabulary.");
        parts.Normalizer = new BertNormalizer(true, config.TokenizeChineseChars, config.StripAccents ?? config.DoLowerCase, config.DoLowerCase);
        parts.PreTokenizer = new BertPreTokenizer(splitPunctuation: true);
        if (vocab.TryGetValue(cls, out int clsId) && vocab.TryGetValue(sep, out int sepId))
        {
            parts.PrefixIds = [clsId];
            parts.SuffixIds = [sepId];
        }
        parts.UnkId = unkId;
        parts.PadId = vocab.TryGetValue(pad, out int padId) ? padId : null;
        return new WordPieceTokenizer(parts, unkId, "##", 100, cleanUp: true);
    }

    private sealed record Config(string? TokenizerClass, List<AddedToken> AddedTokens, Dictionary<string, string?> Tokens,
        bool DoLowerCase, bool? StripAccents, bool TokenizeChineseChars, bool AddPrefixSpace, bool? AddBosToken, bool AddEosToken);

    private static Config ReadConfig(string path)
    {
        var tokens = new Dictionary<string, string?>();
        var added = new List<AddedToken>();
        if (!File.Exists(path)) return new Config(null, added, tokens, true, null, true, false, null, false);
        var json = new JsonFields(path);
        using var doc = json.Parse();
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw json.Error("(root)", JsonFields.Describe(root), "an object");
        foreach (string name in new[] { "unk_token", "cls_token", "sep_token", "pad_token", "mask_token", "bos_token", "eos_token" })
            tokens[name] = json.TokenContent(root, name, name);
        if (JsonFields.Optional(root, "added_tokens_decoder") is { } decoder)
        {
            if (decoder.ValueKind != JsonValueKind.Object) throw json.Error("added_tokens_decoder", JsonFields.Describe(decoder), "an object {id: token}");
            foreach (var entry in decoder.EnumerateObject())
            {
                string field = $"added_tokens_decoder[\"{entry.Name}\"]";
                if (!int.TryParse(entry.Name, out int id) || id < 0) throw json.Error(field, $"the key \"{entry.Name}\"", "a non-negative integer id");
                added.Add(json.AddedToken(entry.Value, id, field));
            }
        }
        return new Config(
            json.OptionalString(root, "tokenizer_class", "tokenizer_class"),
            added, tokens,
            json.Bool(root, "do_lower_case", "do_lower_case", true),
            JsonFields.Optional(root, "strip_accents") is null ? null : json.Bool(root, "strip_accents", "strip_accents", false),
            json.Bool(root, "tokenize_chinese_chars", "tokenize_chinese_chars", true),
            json.Bool(root, "add_prefix_space", "add_prefix_space", false),
            JsonFields.Optional(root, "add_bos_token") is null ? null : json.Bool(root, "add_bos_token", "add_bos_token", false),
            json.Bool(root, "add_eos_token", "add_eos_token", false));
    }
}
