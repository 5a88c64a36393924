// The tokenizer.ggml.* metadata of an exported GGUF, read from the checkpoint's tokenizer.json / tokenizer_config.json /
// config.json the way llama.cpp's convert_hf_to_gguf.py does (_set_vocab_gpt2 + gguf-py's SpecialVocab): byte-level BPE
// ("gpt2") tokens padded to vocab_size, token types, merges, the pre-tokenizer name, special ids, add_bos/add_eos and the
// chat template. A checkpoint with only a SentencePiece tokenizer.model (LLaMA-2, InternLM2) gets the "llama" vocabulary
// as _set_vocab_sentencepiece / InternLM2Model.set_vocab write it: pieces, scores and piece types, tokenizer_config.json's
// added tokens over them (score -1000, control when special), add_space_prefix; for InternLM2 <|im_end|> is the EOS.
using System.Text.Json;
using RagTune.Engine.Chat;
using RagTune.Engine.Formats;
using RagTune.Engine.Models;
using JsonFields = RagTune.Engine.Models.JsonFields;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Export;

internal static class GgufVocabulary
{
    // llama_token_type (gguf-py TokenType).
    private const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;
    private const float AddedTokenScore = -1000f;

    /// <summary>SpecialVocab's token kinds, with the GGUF key each id goes to.</summary>
    private static readonly (string Kind, string Key)[] SpecialKinds =
    [
        ("bos", "tokenizer.ggml.bos_token_id"), ("eos", "tokenizer.ggml.eos_token_id"), ("unk", "tokenizer.ggml.unknown_token_id"),
        ("sep", "tokenizer.ggml.seperator_token_id"), ("pad", "tokenizer.ggml.padding_token_id"),
    ];

    /// <summary>Adds the tokenizer metadata of <paramref name="directory"/> for a model of <paramref name="vocabSize"/> rows.</summary>
    public static void AddTo(GgufWriter writer, string directory, int vocabSize, string arch)
    {
        string path = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(path) && File.Exists(Path.Combine(directory, "tokenizer.model")))
        {
            AddSentencePiece(writer, directory, vocabSize, arch);
            return;
        }
        if (!File.Exists(path))
            throw new EngineException($"{directory}: tokenizer.json is missing (GGUF export writes the vocabulary from a Hugging Face fast tokenizer or a SentencePiece tokenizer.model)");
        using var doc = JsonFields.ParseFile(path);
        var root = new JsonFields(doc.RootElement, path);
        var model = root.Object("model") ?? throw root.Invalid("model", "missing", "the tokenizer model object");
        string type = model.String("type") ?? "";
        if (type != "BPE" || !IsByteLevel(doc.RootElement))
            throw new EngineException($"{path}: model.type is \"{type}\"{(type == "BPE" ? " without a ByteLevel pre-tokenizer" : "")}; "
                + "GGUF export writes byte-level BPE vocabularies (Qwen2/Qwen3/LLaMA-3 style, tokenizer.ggml.model gpt2) only");

        var tokens = new string?[vocabSize];
        var types = new int[vocabSize];
        var vocab = model.Element("vocab") is { ValueKind: JsonValueKind.Object } v ? v : throw model.Invalid("vocab", "missing", "an object of token → id");
        foreach (var entry in vocab.EnumerateObject())
            Place(tokens, types, entry.Value.GetInt32(), entry.Name, Normal, path, vocabSize);
        var added = new List<(int Id, string Content)>();
        if (doc.RootElement.TryGetProperty("added_tokens", out var addedList) && addedList.ValueKind == JsonValueKind.Array)
            foreach (var a in addedList.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                string content = a.GetProperty("content").GetString() ?? "";
                bool special = a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                Place(tokens, types, id, content, special || LooksSpecial(content) ? Control : UserDefined, path, vocabSize);
                added.Add((id, content));
            }
        for (int i = 0; i < vocabSize; i++)
            if (tokens[i] is null)
            {
                tokens[i] = $"[PAD{i}]";
                types[i] = Unused;
            }

        writer.Add("tokenizer.ggml.model", "gpt2");
        writer.Add("tokenizer.ggml.pre", PreName(doc.RootElement, path));
        writer.Add("tokenizer.ggml.tokens", tokens.Select(t => t!).ToArray());
        writer.Add("tokenizer.ggml.token_type", types);
        writer.Add("tokenizer.ggml.merges", Merges(model, path));
        AddSpecialTokens(writer, directory, doc.RootElement, added, vocabSize, null);
        if (ChatTemplate.ReadTemplateText(directory).Text is { } template)
            writer.Add("tokenizer.chat_template", template);
    }

    private static void AddSentencePiece(GgufWriter writer, string directory, int vocabSize, string arch)
    {
        string path = Path.Combine(directory, "tokenizer.model");
        var spm = SentencePieceModelFile.Read(path);
        if (spm.ModelType != SentencePieceModelFile.Bpe)
            throw new EngineException($"{path}: trainer_spec.model_type is {spm.ModelType} (Unigram); GGUF export writes SentencePiece BPE vocabularies (LLaMA-2, InternLM2: tokenizer.ggml.model llama) only");
        if (spm.Pieces.Count > vocabSize)
            throw new EngineException($"{path}: {spm.Pieces.Count} pieces, more than the model's vocab_size {vocabSize} (config.json)");
        var tokens = new string[vocabSize];
        var scores = new float[vocabSize];
        var types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++)
        {
            if (i < spm.Pieces.Count)
                (tokens[i], scores[i], types[i]) = (spm.Pieces[i].Text, spm.Pieces[i].Score, spm.Pieces[i].Type);
            else
                (tokens[i], scores[i], types[i]) = ($"[PAD{i}]", -10000f, Unused);
        }
        // tokenizer_config.json's added_tokens_decoder replaces what the model file has at those ids.
        var added = new List<(int Id, string Content)>();
        using var tokenizerConfig = ReadOptional(Path.Combine(directory, "tokenizer_config.json"));
        if (tokenizerConfig?.RootElement is { ValueKind: JsonValueKind.Object } tc && tc.TryGetProperty("added_tokens_decoder", out var decoder)
            && decoder.ValueKind == JsonValueKind.Object)
            foreach (var entry in decoder.EnumerateObject())
            {
                string content = entry.Value.TryGetProperty("content", out var c) ? c.GetString() ?? "" : "";
                if (!int.TryParse(entry.Name, out int id))
                    throw new EngineException($"{Path.Combine(directory, "tokenizer_config.json")}: added_tokens_decoder key \"{entry.Name}\" is not a token id");
                bool special = entry.Value.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True;
                Place(tokens!, types, id, content, special ? Control : UserDefined, Path.Combine(directory, "tokenizer_config.json"), vocabSize);
                scores[id] = AddedTokenScore;
                added.Add((id, content));
            }

        writer.Add("tokenizer.ggml.model", "llama");
        writer.Add("tokenizer.ggml.pre", "default");
        writer.Add("tokenizer.ggml.tokens", tokens);
        writer.Add("tokenizer.ggml.scores", scores);
        writer.Add("tokenizer.ggml.token_type", types);
        writer.Add("tokenizer.ggml.add_space_prefix", spm.AddDummyPrefix);
        int? chatEos = arch == "internlm2" && added.FirstOrDefault(a => a.Content == "<|im_end|>") is { Content: not null } end ? end.Id : null;
        AddSpecialTokens(writer, directory, null, added, vocabSize, chatEos);
        if (ChatTemplate.ReadTemplateText(directory).Text is { } template)
            writer.Add("tokenizer.chat_template", template);
    }

    private static void Place(string?[] tokens, int[] types, int id, string token, int type, string path, int vocabSize)
    {
        if ((uint)id >= (uint)vocabSize)
            throw new EngineException($"{path}: token \"{token}\" has id {id}, outside the model's vocab_size {vocabSize} (config.json)");
        tokens[id] = token;
        types[id] = type;
    }

    /// <summary>does_token_look_special: &lt;|…|&gt; tokens count as control tokens even when not marked special.</summary>
    private static bool LooksSpecial(string token) =>
        (token.StartsWith("<|", StringComparison.Ordinal) && token.EndsWith("|>", StringComparison.Ordinal)) || token is "<pad>" or "<mask>";

    private static bool IsByteLevel(JsonElement root) =>
        root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object && Steps(pre).Any(s => Type(s) == "ByteLevel");

    private static IEnumerable<JsonElement> Steps(JsonElement pre) =>
        Type(pre) == "Sequence" && pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray()
            : [pre];

    private static string? Type(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    /// <summary>tokenizer.ggml.pre: the llama.cpp name of the split regex (convert_hf_to_gguf.py hashes the tokenizer's
    /// output instead; for the byte-level families the regex decides it).</summary>
    private static string PreName(JsonElement root, string path)
    {
        var pre = root.GetProperty("pre_tokenizer");
        string? regex = null;
        foreach (var step in Steps(pre))
            if (Type(step) == "Split" && step.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String)
                regex = r.GetString();
        if (regex is null)
        {
            var byteLevel = Steps(pre).First(s => Type(s) == "ByteLevel");
            if (!byteLevel.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind != JsonValueKind.False)
                return "gpt-2";
        }
        return regex switch
        {
            PreTokenizerPatterns.Qwen2 => "qwen2",
            PreTokenizerPatterns.Llama3 => "llama-bpe",
            PreTokenizerPatterns.Gpt2 => "gpt-2",
            _ => throw new EngineException($"{path}: the pre-tokenizer's split regex {(regex is null ? "is absent" : $"\"{regex}\"")} is not one llama.cpp names "
                + "(expected the Qwen2, LLaMA-3 or GPT-2 pattern)"),
        };
    }

    /// <summary>Merges as "left right" strings; tokenizers that store pairs get them joined (a space inside a part becomes
    /// U+0120, as SpecialVocab does).</summary>
    private static string[] Merges(JsonFields model, string path)
    {
        if (model.Element("merges") is not { ValueKind: JsonValueKind.Array } merges)
            throw model.Invalid("merges", "missing", "the BPE merge list");
        var list = new List<string>(merges.GetArrayLength());
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String) list.Add(m.GetString()!);
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2)
                list.Add(string.Join(' ', m.EnumerateArray().Select(s => s.GetString()!.Replace(' ', '\u0120'))));
            else throw new EngineException($"{path}: model.merges[{list.Count}] is {m.GetRawText()}, expected \"left right\" or [\"left\", \"right\"]");
        }
        return [.. list];
    }

    /// <summary>SpecialVocab: ids from tokenizer_config.json's {kind}_token (looked up among the added tokens), then
    /// config.json's {kind}_token_id; add_bos/add_eos from the post-processor's template and tokenizer_config.json.
    /// <paramref name="chatEos"/> replaces the EOS (InternLM2Model.set_vocab's chat-model rule).</summary>
    private static void AddSpecialTokens(GgufWriter writer, string directory, JsonElement? tokenizer, List<(int Id, string Content)> added, int vocabSize, int? chatEos)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var addFlags = new Dictionary<string, bool>(StringComparer.Ordinal);
        using var tokenizerConfig = ReadOptional(Path.Combine(directory, "tokenizer_config.json"));
        var tc = tokenizerConfig?.RootElement;
        string? Content(string kind) => tc is { } c && c.TryGetProperty(kind + "_token", out var e)
            ? e.ValueKind == JsonValueKind.String ? e.GetString()
            : e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out var ce) && ce.ValueKind == JsonValueKind.String ? ce.GetString() : null
            : null;

        if (tokenizer is { } json && json.TryGetProperty("post_processor", out var post) && Type(post) == "TemplateProcessing"
            && post.TryGetProperty("single", out var single) && single.ValueKind == JsonValueKind.Array && single.GetArrayLength() > 1)
        {
            string? first = single[0].TryGetProperty("SpecialToken", out var st) ? st.GetProperty("id").GetString() : null;
            string? last = single[single.GetArrayLength() - 1].TryGetProperty("SpecialToken", out var se) ? se.GetProperty("id").GetString() : null;
            if (first is not null) addFlags["bos"] = first == (Content("bos") ?? first);
            if (last is not null) addFlags["eos"] = last == (Content("eos") ?? last);
        }
        foreach (var (kind, _) in SpecialKinds)
        {
            if (tc is { } c && c.TryGetProperty($"add_{kind}_token", out var flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False)
                addFlags[kind] = flag.ValueKind == JsonValueKind.True;
            if (Content(kind) is { } content && added.FirstOrDefault(a => a.Content == content) is { Content: not null } match)
                ids[kind] = match.Id;
        }
        using var config = ReadOptional(Path.Combine(directory, ModelConfig.FileName));
        if (config is not null)
            foreach (var (kind, _) in SpecialKinds)
                if (!ids.ContainsKey(kind) && config.RootElement.TryGetProperty(kind + "_token_id", out var e)
                    && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int id) && id >= 0 && id < vocabSize)
                    ids[kind] = id;
        if (chatEos is int eos) ids["eos"] = eos;
        foreach (var (kind, key) in SpecialKinds)
            if (ids.TryGetValue(kind, out int id)) writer.Add(key, (uint)id);
        writer.Add("tokenizer.ggml.add_bos_token", addFlags.GetValueOrDefault("bos"));
        if (addFlags.TryGetValue("eos", out bool addEos)) writer.Add("tokenizer.ggml.add_eos_token", addEos);
    }

    private static JsonDocument? ReadOptional(string path) => File.Exists(path) ? JsonFields.ParseFile(path) : null;
}
