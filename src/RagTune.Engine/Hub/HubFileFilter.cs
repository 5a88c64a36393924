// Chooses which repository files a pull downloads: what inference needs, plus --include, minus --exclude.
using System.Text;
using System.Text.RegularExpressions;

namespace RagTune.Engine.Hub;

public static class HubFileFilter
{
    /// <summary>
    /// Weights (safetensors only: *.bin, *.pt, *.onnx, *.gguf, *.msgpack, *.h5 and the like are never needed), configs,
    /// tokenizer files in every format RagTune reads, chat templates, and sentence-transformers module folders.
    /// </summary>
    public static readonly IReadOnlyList<string> InferencePatterns =
    [
        "config.json", "generation_config.json",
        "*.safetensors", "*.safetensors.index.json",
        "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "vocab.txt",
        "special_tokens_map.json", "added_tokens.json", "chat_template.json", "chat_template.jinja",
        "modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
        "*/config.json", "*/*.safetensors",
    ];

    public static bool IsSelected(string path, IEnumerable<string> include, IEnumerable<string> exclude)
    {
        if (exclude.Any(p => Matches(p, path)))
            return false;
        return InferencePatterns.Any(p => Matches(p, path)) || include.Any(p => Matches(p, path));
    }

    /// <summary>Glob match on '/'-separated paths: `*` and `?` stay within one folder, `**` spans folders.</summary>
    public static bool Matches(string pattern, string path) =>
        Regex.IsMatch(path, ToRegex(pattern), RegexOptions.CultureInvariant);

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                // "**/" matches zero or more whole folders; a bare "**" matches anything.
                bool slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                sb.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
                sb.Append("[^/]*");
            else if (c == '?')
                sb.Append("[^/]");
            else
                sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.Append('$').ToString();
    }
}
