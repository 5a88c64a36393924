// WordPiece: a hand-built cased vocabulary (ids derived by hand) and the real uncased MiniLM vocabulary.
using System.Text.Json;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class WordPieceTests
{
    private static readonly string[] CasedVocab =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Hello", "hello", "world", "##s", "!", ",", "中", "文", "Café", "$"];

    private static int Id(string token) => Array.IndexOf(CasedVocab, token);

    private static TokenizerBase LoadCased()
    {
        var special = (string content) => new { id = Id(content), content, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true };
        var doc = new
        {
            version = "1.0",
            added_tokens = new[] { special("[PAD]"), special("[UNK]"), special("[CLS]"), special("[SEP]"), special("[MASK]") },
            normalizer = new { type = "BertNormalizer", clean_text = true, handle_chinese_chars = true, strip_accents = (bool?)null, lowercase = false },
            pre_tokenizer = new { type = "BertPreTokenizer" },
            post_processor = new { type = "BertProcessing", sep = new object[] { "[SEP]", Id("[SEP]") }, cls = new object[] { "[CLS]", Id("[CLS]") } },
            decoder = new { type = "WordPiece", prefix = "##", cleanup = true },
            model = new
            {
                type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100,
                vocab = CasedVocab.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i),
            },
        };
        using var dir = new TempDirectory();
        return Tokenizer.FromTokenizerJson(dir.Write("tokenizer.json", JsonSerializer.Serialize(doc)));
    }

    [Fact]
    public void CasedVocabularyKeepsCaseAndSplitsPunctuationAndContinuations()
    {
        var tokenizer = LoadCased();
        Assert.Equal(TokenizerKind.WordPiece, tokenizer.Kind);
        Assert.Equal([Id("[CLS]"), Id("Hello"), Id(","), Id("hello"), Id("world"), Id("##s"), Id("!"), Id("[SEP]")],
            tokenizer.Encode("Hello, hello\tworlds!", addSpecialTokens: true));
    }

    [Fact]
    public void AWordThatCannotBeCoveredIsOneUnk()
    {
        var tokenizer = LoadCased();
        // "worldx": "world" matches but "##x" does not, so the whole word is [UNK]; "HELLO" has no cased entry.
        Assert.Equal([Id("[UNK]"), Id("[UNK]"), Id("world")], tokenizer.Encode("worldx HELLO world"));
        Assert.Equal(1, tokenizer.UnkId);
        Assert.Equal(0, tokenizer.PadId);
    }

    [Fact]
    public void WordsLongerThan100CharactersAreUnk()
    {
        var tokenizer = LoadCased();
        string longWord = "world" + new string('s', 96); // 101 characters, coverable piece by piece were it shorter
        Assert.Equal([Id("[UNK]")], tokenizer.Encode(longWord));
        Assert.Equal([Id("world"), Id("##s"), Id("##s")], tokenizer.Encode("worldss"));
    }

    [Fact]
    public void ChineseCharactersAreSplitOneByOne()
    {
        var tokenizer = LoadCased();
        Assert.Equal([Id("中"), Id("文"), Id("world"), Id("中"), Id("[UNK]")], tokenizer.Encode("中文world中国"));
    }

    [Fact]
    public void CasedModelKeepsAccentsAndAsciiSymbolsArePunctuation()
    {
        var tokenizer = LoadCased();
        Assert.Equal([Id("Café"), Id("$"), Id("hello")], tokenizer.Encode("Café$hello"));
    }

    [Fact]
    public void ControlCharactersAreDroppedAndSpecialTokensParsedOnRequest()
    {
        var tokenizer = LoadCased();
        Assert.Equal([Id("hello"), Id("world")], tokenizer.Encode("hel\u0000lo\u200B world\u0007"));
        Assert.Equal([Id("[MASK]"), Id("world")], tokenizer.Encode("[MASK] world", parseSpecial: true));
        Assert.Equal([Id("[UNK]"), Id("[UNK]"), Id("[UNK]"), Id("world")], tokenizer.Encode("[MASK] world"));
    }

    [Fact]
    public void DecodeJoinsContinuationsAndCleansSpacesBeforePunctuation()
    {
        var tokenizer = LoadCased();
        int[] ids = tokenizer.Encode("Hello, worlds!", addSpecialTokens: true);
        Assert.Equal("Hello, worlds!", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("[CLS] Hello, worlds! [SEP]", tokenizer.Decode(ids));
    }

    [Fact]
    public void UncasedModelLowercasesAndStripsAccents()
    {
        var tokenizer = TokenizerTestData.BertJson;
        Assert.Equal(tokenizer.Encode("cafe resume naive"), tokenizer.Encode("Café RÉSUMÉ naïve"));
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], tokenizer.Encode("Hello, World!", addSpecialTokens: true));
        Assert.Equal([101], tokenizer.PrefixIds);
        Assert.Equal([102], tokenizer.SuffixIds);
        Assert.Equal(100, tokenizer.UnkId);
        Assert.Equal(0, tokenizer.PadId);
    }

    [Fact]
    public void VocabTxtFolderUsesDoLowerCaseFromTheConfig()
    {
        using var dir = new TempDirectory();
        File.Copy(TokenizerTestData.PathOf("wordpiece-uncased", "vocab.txt"), Path.Combine(dir.Path, "vocab.txt"));
        dir.Write("tokenizer_config.json", """{"do_lower_case": false}""");
        var cased = Tokenizer.Load(dir.Path);
        // The vocabulary is lower-case only, so without lower-casing "Hello" is not covered.
        Assert.Equal([101, 100, 102], cased.Encode("Hello", addSpecialTokens: true));
        File.Delete(Path.Combine(dir.Path, "tokenizer_config.json"));
        Assert.Equal([101, 7592, 102], Tokenizer.Load(dir.Path).Encode("Hello", addSpecialTokens: true));
    }
}
