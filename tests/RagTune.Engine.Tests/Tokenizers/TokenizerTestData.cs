// Locates the committed tokenizer test data and reads llama.cpp's .inp/.out vector pairs; tokenizers are loaded once.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

internal static class TokenizerTestData
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizers");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static readonly Lazy<TokenizerBase> Qwen2Lazy = new(() => Tokenizer.Load(PathOf("qwen2")));
    private static readonly Lazy<TokenizerBase> BertJsonLazy = new(() => Tokenizer.FromTokenizerJson(PathOf("wordpiece-uncased", "tokenizer.json")));
    private static readonly Lazy<TokenizerBase> Gpt2GgufLazy = new(() => Tokenizer.FromGguf(PathOf("gpt2", "ggml-vocab-gpt-2.gguf")));

    private static readonly Lazy<TokenizerBase> LlamaSpmGgufLazy = new(() => Tokenizer.FromGguf(PathOf("llama-spm", "ggml-vocab-llama-spm.gguf")));

    /// <summary>LLaMA-2's SentencePiece vocabulary (scores, byte tokens) from a vocab-only GGUF.</summary>
    public static TokenizerBase LlamaSpmGguf => LlamaSpmGgufLazy.Value;

    /// <summary>Qwen2 from vocab.json + merges.txt + tokenizer_config.json.</summary>
    public static TokenizerBase Qwen2 => Qwen2Lazy.Value;

    /// <summary>all-MiniLM-L6-v2's tokenizer.json (BERT uncased WordPiece).</summary>
    public static TokenizerBase BertJson => BertJsonLazy.Value;

    /// <summary>GPT-2 from the vocab-only GGUF.</summary>
    public static TokenizerBase Gpt2Gguf => Gpt2GgufLazy.Value;

    /// <summary>The test strings and expected ids of one llama.cpp vector file pair.</summary>
    public static IReadOnlyList<(string Text, int[] Ids)> Vectors(string folder, string name)
    {
        string inp = File.ReadAllText(PathOf(folder, name + ".inp"), System.Text.Encoding.UTF8);
        string[] texts = inp.Split("\n__ggml_vocab_test__\n");
        // The file ends with the separator, so the split leaves one empty trailing element.
        if (texts[^1].Length != 0) throw new InvalidDataException($"{name}.inp does not end with the separator line.");
        string[] lines = File.ReadAllText(PathOf(folder, name + ".out")).Split('\n');
        var cases = new List<(string, int[])>();
        for (int i = 0; i < texts.Length - 1; i++)
        {
            string line = lines[i].Trim();
            int[] ids = line.Length == 0 ? [] : line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            cases.Add((texts[i], ids));
        }
        return cases;
    }

    /// <summary>Theory rows: the case number and the text escaped for display.</summary>
    public static TheoryData<int, string> Cases(string folder, string name)
    {
        var data = new TheoryData<int, string>();
        var vectors = Vectors(folder, name);
        for (int i = 0; i < vectors.Count; i++) data.Add(i, Escape(vectors[i].Text));
        return data;
    }

    private static string Escape(string s)
    {
        string e = s.Replace("\n", "\\n").Replace("\t", "\\t");
        return e.Length <= 60 ? e : e[..60] + "…";
    }
}
