// Writes a tokenizer.json in the layout of LLaMA-2's (SentencePiece-style BPE) for a given vocabulary and merges.
using System.Text.Json;

namespace RagTune.Engine.Tests.Tokenizers;

internal static class Llama2StyleJson
{
    /// <summary>Ids 0, 1, 2 must be &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;; merges are "left right" strings in rank order.</summary>
    public static string Build(Dictionary<string, int> vocab, IReadOnlyList<string> merges, bool byteFallback)
    {
        var special = (int id, string content) => new { id, content, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true };
        var doc = new
        {
            version = "1.0",
            added_tokens = new[] { special(0, "<unk>"), special(1, "<s>"), special(2, "</s>") },
            normalizer = new
            {
                type = "Sequence",
                normalizers = new object[]
                {
                    new { type = "Prepend", prepend = "▁" },
                    new { type = "Replace", pattern = new { String = " " }, content = "▁" },
                },
            },
            pre_tokenizer = (object?)null,
            post_processor = new
            {
                type = "TemplateProcessing",
                single = new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
                pair = Array.Empty<object>(),
                special_tokens = new Dictionary<string, object> { ["<s>"] = new { id = "<s>", ids = new[] { 1 }, tokens = new[] { "<s>" } } },
            },
            decoder = new
            {
                type = "Sequence",
                decoders = new object[]
                {
                    new { type = "Replace", pattern = new { String = "▁" }, content = " " },
                    new { type = "ByteFallback" },
                    new { type = "Fuse" },
                    new { type = "Strip", content = " ", start = 1, stop = 0 },
                },
            },
            model = new
            {
                type = "BPE", dropout = (object?)null, unk_token = "<unk>", continuing_subword_prefix = (string?)null,
                end_of_word_suffix = (string?)null, fuse_unk = true, byte_fallback = byteFallback, vocab, merges,
            },
        };
        return JsonSerializer.Serialize(doc);
    }
}
