// Resolves BOS/EOS/PAD/UNK ids: tokenizer_config.json's *_token fields first, then each family's conventional names.
using System.Text.Json;

namespace RagTune.Engine.Tokenizers;

internal static class SpecialIds
{
    /// <summary>Fills the special ids of <paramref name="parts"/> from tokenizer_config.json, then special_tokens_map.json
    /// (older checkpoints name their specials only there), then each family's conventions.</summary>
    public static void Resolve(TokenizerParts parts, TokenizerKind kind, string configPath)
    {
        string mapPath = Path.Combine(Path.GetDirectoryName(configPath)!, "special_tokens_map.json");
        foreach (string file in new[] { configPath, mapPath })
        {
            if (!File.Exists(file)) continue;
            var json = new JsonFields(file);
            using var doc = json.Parse();
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw json.Error("(root)", JsonFields.Describe(root), "an object");
            parts.BosId ??= Lookup(parts, json, root, "bos_token");
            parts.EosId ??= Lookup(parts, json, root, "eos_token");
            parts.PadId ??= Lookup(parts, json, root, "pad_token");
            parts.UnkId ??= Lookup(parts, json, root, "unk_token");
        }
        switch (kind)
        {
            case TokenizerKind.SentencePieceBpe or TokenizerKind.Unigram:
                parts.BosId ??= Find(parts, "<s>") ?? (parts.PrefixIds.Length > 0 ? parts.PrefixIds[0] : null);
                parts.EosId ??= Find(parts, "</s>");
                parts.UnkId ??= Find(parts, "<unk>");
                break;
            case TokenizerKind.ByteLevelBpe:
                parts.BosId ??= parts.PrefixIds.Length > 0 ? parts.PrefixIds[0] : null;
                parts.EosId ??= Find(parts, "<|endoftext|>") ?? Find(parts, "<|end_of_text|>");
                break;
            case TokenizerKind.WordPiece:
                parts.UnkId ??= Find(parts, "[UNK]");
                parts.PadId ??= Find(parts, "[PAD]");
                break;
        }
    }

    private static int? Lookup(TokenizerParts parts, JsonFields json, JsonElement root, string field)
    {
        string? content = json.TokenContent(root, field, field);
        if (content is null) return null;
        return Find(parts, content) ?? throw json.Error(field, $"\"{content}\"", "a token of the vocabulary or an added token");
    }

    internal static int? Find(TokenizerParts parts, string token)
    {
        foreach (var t in parts.AddedTokens)
            if (t.Content == token) return t.Id;
        return parts.Vocab.TryGetValue(token, out int id) ? id : null;
    }
}
