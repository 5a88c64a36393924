// Writes a Hugging Face byte-level BPE tokenizer (tokenizer.json + tokenizer_config.json with a ChatML template) whose
// vocabulary holds every word of a closed corpus as one token, so a tiny student predicts whole names in one step.
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RagTune.Pipeline.Synthetic;

/// <summary>
/// The tokenizer is Qwen2's (same pre-tokenizer regex, ByteLevel, ChatML specials) with a corpus-made vocabulary:
/// the 256 byte symbols; every pre-token of the corpus without multi-byte characters as a whole token, reached through
/// BPE's <c>ignore_merges</c> (as LLaMA-3 does) rather than merge chains, whose interior pairs would collide across
/// words; and every multi-byte character (Chinese) as a token reached by merges lead byte + continuation bytes, which
/// cannot collide because no merge starts with a continuation byte. Unknown text still encodes, byte by byte.
/// </summary>
public static class WordTokenizerBuilder
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    // Qwen2's pre-tokenizer pattern, from its tokenizer.json.
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string ChatTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static readonly Regex PreTokenizer = new(Qwen2Pattern, RegexOptions.CultureInvariant);

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/>; returns the vocabulary size
    /// including the three special tokens (ids: endoftext, im_start, im_end, last).</summary>
    public static int Write(string directory, IEnumerable<string> corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var words = new SortedSet<string>(StringComparer.Ordinal);
        var chars = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (var piece in text.Split([EndOfText, ImStart, ImEnd], StringSplitOptions.None))
                foreach (Match m in PreTokenizer.Matches(piece))
                {
                    if (m.Value.All(c => c < 0x80))
                        words.Add(ByteLevel(m.Value));
                    else
                        foreach (var rune in m.Value.EnumerateRunes())
                            if (rune.Value >= 0x80) chars.Add(rune.ToString());
                }

        var vocab = new List<string>(ByteToChar.Select(c => c.ToString()));
        var ids = new HashSet<string>(vocab, StringComparer.Ordinal);
        var merges = new List<string>();
        foreach (var ch in chars)
        {
            string symbols = ByteLevel(ch);
            for (int n = 2; n <= symbols.Length; n++)
            {
                string left = symbols[..(n - 1)], merged = symbols[..n];
                if (ids.Add(merged))
                {
                    vocab.Add(merged);
                    merges.Add($"{left} {symbols[n - 1]}");
                }
            }
        }
        foreach (var w in words)
            if (ids.Add(w)) vocab.Add(w);
        string[] specials = [EndOfText, ImStart, ImEnd];

        var vocabJson = new JsonObject();
        for (int i = 0; i < vocab.Count; i++) vocabJson[vocab[i]] = i;
        var added = new JsonArray();
        for (int i = 0; i < specials.Length; i++)
            added.Add(new JsonObject
            {
                ["id"] = vocab.Count + i, ["content"] = specials[i], ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Qwen2Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    byteLevel.DeepClone()),
            },
            ["post_processor"] = byteLevel.DeepClone(),
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = true,
                ["vocab"] = vocabJson, ["merges"] = new JsonArray(merges.Select(m => (JsonNode?)m).ToArray()),
            },
        };
        var decoder = new JsonObject();
        for (int i = 0; i < specials.Length; i++)
            decoder[(vocab.Count + i).ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = specials[i], ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
            };
        var config = new JsonObject
        {
            ["add_bos_token"] = false, ["add_prefix_space"] = false, ["bos_token"] = null, ["eos_token"] = ImEnd, ["pad_token"] = EndOfText,
            ["unk_token"] = null, ["model_max_length"] = 4096, ["errors"] = "replace", ["tokenizer_class"] = "Qwen2Tokenizer",
            ["clean_up_tokenization_spaces"] = false, ["added_tokens_decoder"] = decoder, ["chat_template"] = ChatTemplate,
        };
        Directory.CreateDirectory(directory);
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), utf8);
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), utf8);
        return vocab.Count + specials.Length;
    }

    // GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards in byte order.
    private static readonly char[] ByteToChar = BuildByteToChar();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            map[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)next++;
        return map;
    }

    private static string ByteLevel(string s) => new(Encoding.UTF8.GetBytes(s).Select(b => ByteToChar[b]).ToArray());
}
