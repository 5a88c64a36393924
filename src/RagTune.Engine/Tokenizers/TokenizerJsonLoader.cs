// Builds a tokenizer from a Hugging Face tokenizer.json: model (BPE, WordPiece or Unigram), added tokens, normalizer,
// pre-tokenizer, post-processor and decoder; special ids from a tokenizer_config.json beside it when there is one.
using System.Text;
using System.Text.Json;

namespace RagTune.Engine.Tokenizers;

internal static class TokenizerJsonLoader
{
    public static TokenizerBase Load(string path)
    {
        var json = new JsonFields(path);
        using var doc = json.Parse();
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw json.Error("(root)", JsonFields.Describe(root), "an object");
        var model = json.Object(root, "model", "model");
        string type = json.OptionalString(model, "type", "model.type") ?? InferModelType(model);
        if (type is not ("BPE" or "WordPiece" or "Unigram"))
            throw json.Error("model.type", $"\"{type}\"", "\"BPE\", \"WordPiece\" or \"Unigram\" (WordLevel models are not supported)");

        var unigram = type == "Unigram" ? ReadUnigram(json, model) : null;
        var parts = new TokenizerParts { Source = path, Vocab = unigram?.Vocab ?? ReadVocab(json, model) };
        if (JsonFields.Optional(root, "added_tokens") is { } added)
        {
            if (added.ValueKind != JsonValueKind.Array) throw json.Error("added_tokens", JsonFields.Describe(added), "an array");
            int i = 0;
            foreach (var t in added.EnumerateArray())
            {
                string field = $"added_tokens[{i++}]";
                parts.AddedTokens.Add(json.AddedToken(t, json.Int(t, "id", field + ".id"), field));
            }
        }
        parts.Normalizer = JsonFields.Optional(root, "normalizer") is { } n ? ReadNormalizer(json, n, "normalizer") : null;
        var pre = JsonFields.Optional(root, "pre_tokenizer");
        parts.PreTokenizer = pre is { } p ? ReadPreTokenizer(json, p, "pre_tokenizer") : null;
        var decoder = JsonFields.Optional(root, "decoder");
        if (JsonFields.Optional(root, "post_processor") is { } post)
        {
            var (prefix, suffix) = ReadPostProcessor(json, post, "post_processor", parts);
            parts.PrefixIds = prefix;
            parts.SuffixIds = suffix;
        }

        string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json");
        if (type == "WordPiece")
        {
            string unk = json.OptionalString(model, "unk_token", "model.unk_token") ?? "[UNK]";
            if (!parts.Vocab.TryGetValue(unk, out int unkId))
                throw json.Error("model.unk_token", $"\"{unk}\", which is not in model.vocab", "a token of the vocabulary");
            parts.UnkId = unkId;
            string prefix = json.OptionalString(model, "continuing_subword_prefix", "model.continuing_subword_prefix") ?? "##";
            int maxChars = json.OptionalInt(model, "max_input_chars_per_word", "model.max_input_chars_per_word") ?? 100;
            bool cleanup = decoder is not { } d || json.Bool(d, "cleanup", "decoder.cleanup", true);
            SpecialIds.Resolve(parts, TokenizerKind.WordPiece, configPath);
            return new WordPieceTokenizer(parts, unkId, prefix, maxChars, cleanup);
        }

        if (unigram is not null)
        {
            parts.UnkId = unigram.UnkId;
            SpecialIds.Resolve(parts, TokenizerKind.Unigram, configPath);
            return new UnigramTokenizer(parts, unigram, HasStrip(decoder) || HasMetaspacePrefix(decoder));
        }

        // BPE: byte-level when a ByteLevel step appears, else SentencePiece-style ("▁" text, byte fallback).
        bool byteLevel = HasType(pre, "ByteLevel") || HasType(decoder, "ByteLevel");
        var bpe = ReadBpe(json, model, parts);
        SpecialIds.Resolve(parts, byteLevel ? TokenizerKind.ByteLevelBpe : TokenizerKind.SentencePieceBpe, configPath);
        if (byteLevel) return new ByteLevelBpeTokenizer(parts, bpe);
        bool strip = HasStrip(decoder) || HasMetaspacePrefix(decoder);
        return new SentencePieceBpeTokenizer(parts, bpe, strip, byteTokens: true);
    }

    private static string InferModelType(JsonElement model) =>
        JsonFields.Optional(model, "merges") is not null ? "BPE"
        : JsonFields.Optional(model, "max_input_chars_per_word") is not null ? "WordPiece"
        : JsonFields.Optional(model, "vocab") is { ValueKind: JsonValueKind.Array } ? "Unigram"
        : "(missing)";

    private static Dictionary<string, int> ReadVocab(JsonFields json, JsonElement model)
    {
        var vocabElement = json.Object(model, "vocab", "model.vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw json.Error($"model.vocab[\"{entry.Name}\"]", JsonFields.Describe(entry.Value), "a non-negative integer id");
            vocab[entry.Name] = id;
        }
        return vocab;
    }

    /// <summary>model.vocab as [token, score] pairs in id order, model.unk_id, model.byte_fallback.</summary>
    private static UnigramModel ReadUnigram(JsonFields json, JsonElement model)
    {
        var vocab = json.Array(model, "vocab", "model.vocab");
        var pieces = new List<(string Token, double Score)>(vocab.GetArrayLength());
        int i = 0;
        foreach (var entry in vocab.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String
                || entry[1].ValueKind != JsonValueKind.Number || !entry[1].TryGetDouble(out double score) || !double.IsFinite(score))
            {
                string found = entry.ValueKind == JsonValueKind.Array
                    ? "[" + string.Join(", ", entry.EnumerateArray().Select(JsonFields.Describe)) + "]"
                    : JsonFields.Describe(entry);
                throw json.Error($"model.vocab[{i}]", found, "a [token, score] pair: a string and a finite number");
            }
            pieces.Add((entry[0].GetString()!, score));
            i++;
        }
        if (pieces.Count == 0) throw json.Error("model.vocab", "an empty array", "at least one [token, score] pair");
        int? unkId = json.OptionalInt(model, "unk_id", "model.unk_id");
        if (unkId is int u && (u < 0 || u >= pieces.Count))
            throw json.Error("model.unk_id", $"the number {u}", $"the index of a model.vocab entry (0 to {pieces.Count - 1}) or null");
        return new UnigramModel(pieces, unkId, json.Bool(model, "byte_fallback", "model.byte_fallback", false), json.File + " (model)");
    }

    private static BpeModel ReadBpe(JsonFields json, JsonElement model, TokenizerParts parts)
    {
        var mergesElement = json.Array(model, "merges", "model.merges");
        var merges = new List<MergeRule>(mergesElement.GetArrayLength());
        int i = 0;
        foreach (var m in mergesElement.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String)
                merges.Add(MergeRule.FromLine(m.GetString()!) ?? throw json.Error($"model.merges[{i}]", JsonFields.Describe(m), "\"left right\" (two tokens separated by one space)"));
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                merges.Add(MergeRule.FromPair(m[0].GetString()!, m[1].GetString()!));
            else
                throw json.Error($"model.merges[{i}]", JsonFields.Describe(m), "a string \"left right\" or a pair [left, right]");
            i++;
        }
        foreach (var field in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (json.OptionalString(model, field, "model." + field) is { Length: > 0 } value)
                throw json.Error("model." + field, $"\"{value}\"", "null or \"\" (subword prefixes/suffixes in BPE are not supported)");

        string? unk = json.OptionalString(model, "unk_token", "model.unk_token");
        int? unkId = null;
        if (unk is not null)
        {
            if (!parts.Vocab.TryGetValue(unk, out int u))
                throw json.Error("model.unk_token", $"\"{unk}\", which is not in model.vocab", "a token of the vocabulary");
            unkId = u;
            parts.UnkId = u;
        }
        return new BpeModel(parts.Vocab, null, merges, null, json.File + " (model.merges)",
            ignoreMerges: json.Bool(model, "ignore_merges", "model.ignore_merges", false),
            byteFallback: json.Bool(model, "byte_fallback", "model.byte_fallback", false),
            unkId: unkId,
            fuseUnk: json.Bool(model, "fuse_unk", "model.fuse_unk", false));
    }

    private static Normalizer ReadNormalizer(JsonFields json, JsonElement e, string path)
    {
        string type = json.String(e, "type", path + ".type");
        switch (type)
        {
            case "Sequence":
                return new SequenceNormalizer(ReadList(json, e, "normalizers", path, ReadNormalizer));
            case "NFC": return new UnicodeFormNormalizer(NormalizationForm.FormC);
            case "NFD": return new UnicodeFormNormalizer(NormalizationForm.FormD);
            case "NFKC": return new UnicodeFormNormalizer(NormalizationForm.FormKC);
            case "NFKD": return new UnicodeFormNormalizer(NormalizationForm.FormKD);
            case "Lowercase": return new LowercaseNormalizer();
            case "StripAccents": return new StripAccentsNormalizer();
            case "Strip":
                return new StripNormalizer(json.Bool(e, "strip_left", path + ".strip_left", true), json.Bool(e, "strip_right", path + ".strip_right", true));
            case "Prepend": return new PrependNormalizer(json.String(e, "prepend", path + ".prepend"));
            case "Replace":
            {
                var (regex, literal) = ReadPattern(json, e, path);
                return new ReplaceNormalizer(regex, literal, json.String(e, "content", path + ".content"));
            }
            case "Precompiled":
            {
                string field = path + ".precompiled_charsmap";
                var value = JsonFields.Optional(e, "precompiled_charsmap");
                string encoded = json.String(e, "precompiled_charsmap", field);
                byte[] charsmap;
                try
                {
                    charsmap = Convert.FromBase64String(encoded);
                }
                catch (FormatException)
                {
                    throw json.Error(field, JsonFields.Describe(value!.Value) + ", which is not base64", "the base64 of SentencePiece's precompiled charsmap");
                }
                return PrecompiledNormalizer.Parse(charsmap, what => json.Error(field, what,
                    "SentencePiece's precompiled charsmap (u32 trie size, Darts double-array trie, NUL-terminated replacements)"));
            }
            case "BertNormalizer":
            {
                bool lowercase = json.Bool(e, "lowercase", path + ".lowercase", true);
                return new BertNormalizer(
                    json.Bool(e, "clean_text", path + ".clean_text", true),
                    json.Bool(e, "handle_chinese_chars", path + ".handle_chinese_chars", true),
                    json.Bool(e, "strip_accents", path + ".strip_accents", lowercase),
                    lowercase);
            }
            default:
                throw json.Error(path + ".type", $"\"{type}\"", "one of Sequence, NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Prepend, Replace, Precompiled, BertNormalizer");
        }
    }

    private static PreTokenizer ReadPreTokenizer(JsonFields json, JsonElement e, string path)
    {
        string type = json.String(e, "type", path + ".type");
        switch (type)
        {
            case "Sequence":
                return new SequencePreTokenizer(ReadList(json, e, "pretokenizers", path, ReadPreTokenizer));
            case "Split":
            {
                var (regex, literal) = ReadPattern(json, e, path);
                var behavior = ReadBehavior(json, e, path, null);
                return new SplitPreTokenizer(regex, literal, behavior, json.Bool(e, "invert", path + ".invert", false));
            }
            case "Punctuation": return new PunctuationPreTokenizer(ReadBehavior(json, e, path, SplitBehavior.Isolated));
            case "ByteLevel":
                return new ByteLevelPreTokenizer(json.Bool(e, "add_prefix_space", path + ".add_prefix_space", true),
                    json.Bool(e, "use_regex", path + ".use_regex", true));
            case "Metaspace":
            {
                string replacement = json.OptionalString(e, "replacement", path + ".replacement") ?? "\u2581";
                if (replacement.Length != 1) throw json.Error(path + ".replacement", $"\"{replacement}\"", "one character");
                string scheme = json.OptionalString(e, "prepend_scheme", path + ".prepend_scheme")
                    ?? (json.Bool(e, "add_prefix_space", path + ".add_prefix_space", true) ? "always" : "never");
                if (scheme is not ("always" or "first" or "never"))
                    throw json.Error(path + ".prepend_scheme", $"\"{scheme}\"", "always, first or never");
                return new MetaspacePreTokenizer(replacement[0], scheme, json.Bool(e, "split", path + ".split", true));
            }
            case "Digits": return new DigitsPreTokenizer(json.Bool(e, "individual_digits", path + ".individual_digits", false));
            case "BertPreTokenizer": return new BertPreTokenizer(splitPunctuation: true);
            case "WhitespaceSplit": return new BertPreTokenizer(splitPunctuation: false);
            case "Whitespace":
                return new SplitPreTokenizer(new CodePointRegex(@"\w+|[^\w\s]+", json.File), null, SplitBehavior.Removed, invert: true);
            default:
                throw json.Error(path + ".type", $"\"{type}\"", "one of Sequence, Split, ByteLevel, Metaspace, Digits, Punctuation, BertPreTokenizer, Whitespace, WhitespaceSplit");
        }
    }

    private static List<T> ReadList<T>(JsonFields json, JsonElement e, string name, string path, Func<JsonFields, JsonElement, string, T> read)
    {
        var list = new List<T>();
        int i = 0;
        foreach (var item in json.Array(e, name, $"{path}.{name}").EnumerateArray())
            list.Add(read(json, item, $"{path}.{name}[{i++}]"));
        return list;
    }

    private static SplitBehavior ReadBehavior(JsonFields json, JsonElement e, string path, SplitBehavior? fallback)
    {
        string? behavior = json.OptionalString(e, "behavior", path + ".behavior");
        if (behavior is null && fallback is { } f) return f;
        if (behavior is null || !Enum.TryParse<SplitBehavior>(behavior, out var b) || !Enum.IsDefined(b))
            throw json.Error(path + ".behavior", behavior is null ? "missing" : $"\"{behavior}\"", "Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
        return b;
    }

    private static (CodePointRegex? Regex, string? Literal) ReadPattern(JsonFields json, JsonElement e, string path)
    {
        var pattern = json.Object(e, "pattern", path + ".pattern");
        if (json.OptionalString(pattern, "Regex", path + ".pattern.Regex") is { } regex)
            return (new CodePointRegex(regex, $"{json.File} ({path}.pattern.Regex)"), null);
        if (json.OptionalString(pattern, "String", path + ".pattern.String") is { } literal)
            return (null, literal);
        throw json.Error(path + ".pattern", "an object without Regex or String", "{\"Regex\": …} or {\"String\": …}");
    }

    private static (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonFields json, JsonElement e, string path, TokenizerParts parts)
    {
        string type = json.String(e, "type", path + ".type");
        switch (type)
        {
            case "ByteLevel": return ([], []);
            case "Sequence":
            {
                var prefix = new List<int>();
                var suffix = new List<int>();
                int i = 0;
                foreach (var item in json.Array(e, "processors", path + ".processors").EnumerateArray())
                {
                    var (p, s) = ReadPostProcessor(json, item, $"{path}.processors[{i++}]", parts);
                    prefix.AddRange(p);
                    suffix.InsertRange(0, s);
                }
                return (prefix.ToArray(), suffix.ToArray());
            }
            case "BertProcessing" or "RobertaProcessing":
            {
                int cls = PairId(json, e, "cls", path), sep = PairId(json, e, "sep", path);
                parts.Pair = type == "BertProcessing" ? PairTemplate.Bert(cls, sep) : PairTemplate.Roberta(cls, sep);
                return ([cls], [sep]);
            }
            case "TemplateProcessing":
            {
                var specials = json.Object(e, "special_tokens", path + ".special_tokens");
                var prefix = new List<int>();
                var suffix = new List<int>();
                bool seenSequence = false;
                foreach (var item in ReadTemplate(json, e, "single", path, specials))
                {
                    if (item.Sequence >= 0) seenSequence = true;
                    else (seenSequence ? suffix : prefix).AddRange(item.Ids);
                }
                if (JsonFields.Optional(e, "pair") is not null)
                    parts.Pair = new PairTemplate(ReadTemplate(json, e, "pair", path, specials));
                return (prefix.ToArray(), suffix.ToArray());
            }
            default:
                throw json.Error(path + ".type", $"\"{type}\"", "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel or Sequence");
        }
    }

    /// <summary>A TemplateProcessing template: {"SpecialToken": {"id", "type_id"}} items resolved through special_tokens,
    /// {"Sequence": {"id": "A"|"B", "type_id"}} items naming the first or second text.</summary>
    private static List<PairTemplate.Item> ReadTemplate(JsonFields json, JsonElement e, string name, string path, JsonElement specials)
    {
        var items = new List<PairTemplate.Item>();
        int i = 0;
        foreach (var item in json.Array(e, name, $"{path}.{name}").EnumerateArray())
        {
            string itemPath = $"{path}.{name}[{i++}]";
            if (JsonFields.Optional(item, "Sequence") is { } sequence)
            {
                string which = json.String(sequence, "id", itemPath + ".Sequence.id");
                if (which is not ("A" or "B")) throw json.Error(itemPath + ".Sequence.id", $"\"{which}\"", "\"A\" or \"B\"");
                items.Add(new([], which == "A" ? 0 : 1, json.OptionalInt(sequence, "type_id", itemPath + ".Sequence.type_id") ?? 0));
                continue;
            }
            var special = json.Object(item, "SpecialToken", itemPath + ".SpecialToken");
            string token = json.String(special, "id", itemPath + ".SpecialToken.id");
            var entry = json.Object(specials, token, $"{path}.special_tokens[\"{token}\"]");
            string idsPath = $"{path}.special_tokens[\"{token}\"].ids";
            var ids = new List<int>();
            foreach (var id in json.Array(entry, "ids", idsPath).EnumerateArray())
            {
                if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int value) || value < 0)
                    throw json.Error(idsPath, JsonFields.Describe(id), "non-negative integer ids");
                ids.Add(value);
            }
            items.Add(new(ids.ToArray(), -1, json.OptionalInt(special, "type_id", itemPath + ".SpecialToken.type_id") ?? 0));
        }
        return items;
    }

    private static int PairId(JsonFields json, JsonElement e, string name, string path)
    {
        var pair = json.Array(e, name, $"{path}.{name}");
        if (pair.GetArrayLength() != 2 || !pair[1].TryGetInt32(out int id))
            throw json.Error($"{path}.{name}", JsonFields.Describe(pair), "[token, id]");
        return id;
    }

    private static bool HasType(JsonElement? e, string type)
    {
        if (e is not { ValueKind: JsonValueKind.Object } o) return false;
        if (o.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == type) return true;
        foreach (var listName in new[] { "pretokenizers", "decoders" })
            if (o.TryGetProperty(listName, out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var item in list.EnumerateArray())
                    if (HasType(item, type)) return true;
        return false;
    }

    private static bool HasStrip(JsonElement? decoder)
    {
        if (decoder is not { ValueKind: JsonValueKind.Object } d) return false;
        if (d.TryGetProperty("type", out var t) && t.GetString() == "Strip")
            return d.TryGetProperty("start", out var s) && s.TryGetInt32(out int n) && n > 0;
        if (d.TryGetProperty("decoders", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var item in list.EnumerateArray())
                if (HasStrip(item)) return true;
        return false;
    }

    private static bool HasMetaspacePrefix(JsonElement? decoder)
    {
        if (decoder is not { ValueKind: JsonValueKind.Object } d) return false;
        if (d.TryGetProperty("type", out var t) && t.GetString() == "Metaspace")
        {
            if (d.TryGetProperty("prepend_scheme", out var scheme) && scheme.ValueKind == JsonValueKind.String)
                return scheme.GetString() != "never";
            return !(d.TryGetProperty("add_prefix_space", out var a) && a.ValueKind == JsonValueKind.False);
        }
        if (d.TryGetProperty("decoders", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var item in list.EnumerateArray())
                if (HasMetaspacePrefix(item)) return true;
        return false;
    }
}
