// Bad or missing tokenizer files give one EngineException naming the file and the field.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class TokenizerErrorTests
{
    private static EngineException LoadJsonFails(string json, out string path)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("tokenizer.json", json);
        path = file;
        return Assert.Throws<EngineException>(() => Tokenizer.FromTokenizerJson(file));
    }

    [Fact]
    public void MalformedJsonNamesTheFile()
    {
        var e = LoadJsonFails("""{"model": {"type": "BPE", "vocab": {"a": 0""", out string path);
        Assert.Contains(path, e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void MissingModelNamesTheField()
    {
        var e = LoadJsonFails("""{"version": "1.0"}""", out string path);
        Assert.Contains(path, e.Message);
        Assert.Contains("'model'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void UnsupportedModelTypeIsNamed()
    {
        var e = LoadJsonFails("""{"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}""", out _);
        Assert.Contains("'model.type'", e.Message);
        Assert.Contains("WordLevel", e.Message);
    }

    [Fact]
    public void VocabEntryThatIsNotAnIdIsNamed()
    {
        var e = LoadJsonFails("""{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}""", out _);
        Assert.Contains("model.vocab[\"a\"]", e.Message);
        Assert.Contains("the string \"zero\"", e.Message);
    }

    [Fact]
    public void MergeOutsideTheVocabularyIsNamed()
    {
        var e = LoadJsonFails("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}, "pre_tokenizer": {"type": "ByteLevel"}}""", out _);
        Assert.Contains("merge #0 \"a b\"", e.Message);
        Assert.Contains("not in the vocabulary", e.Message);
    }

    [Fact]
    public void UnknownPreTokenizerTypeIsNamed()
    {
        var e = LoadJsonFails("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Bogus"}]}}""", out _);
        Assert.Contains("'pre_tokenizer.pretokenizers[0].type'", e.Message);
        Assert.Contains("Bogus", e.Message);
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        using var dir = new TempDirectory();
        string missingJson = Path.Combine(dir.Path, "tokenizer.json");
        Assert.Contains(missingJson, Assert.Throws<EngineException>(() => Tokenizer.FromTokenizerJson(missingJson)).Message);

        var empty = Assert.Throws<EngineException>(() => Tokenizer.Load(dir.Path));
        Assert.Contains("no tokenizer found", empty.Message);

        string gone = Path.Combine(dir.Path, "nope");
        Assert.Contains(gone, Assert.Throws<EngineException>(() => Tokenizer.Load(gone)).Message);

        dir.Write("vocab.json", """{"a": 0}""");
        var noMerges = Assert.Throws<EngineException>(() => Tokenizer.Load(dir.Path));
        Assert.Contains("merges.txt", noMerges.Message);
    }

    [Fact]
    public void BadMergesLineIsNamedWithItsLineNumber()
    {
        using var dir = new TempDirectory();
        dir.Write("vocab.json", """{"a": 0, "b": 1, "ab": 2}""");
        dir.Write("merges.txt", "#version: 0.2\na b\nab\n");
        var e = Assert.Throws<EngineException>(() => Tokenizer.Load(dir.Path));
        Assert.Contains("merges.txt: line 3", e.Message);
    }

    [Fact]
    public void ConfigEosTokenOutsideTheVocabularyIsNamed()
    {
        using var dir = new TempDirectory();
        dir.Write("vocab.json", """{"a": 0, "b": 1, "ab": 2}""");
        dir.Write("merges.txt", "a b\n");
        dir.Write("tokenizer_config.json", """{"eos_token": {"content": "</s>"}}""");
        var e = Assert.Throws<EngineException>(() => Tokenizer.Load(dir.Path));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("'eos_token'", e.Message);
    }
}
