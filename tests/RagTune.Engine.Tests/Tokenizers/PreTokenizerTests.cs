// Pre-tokenizer behaviours, checked on the examples of Hugging Face's SplitDelimiterBehavior documentation and by hand.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class PreTokenizerTests
{
    private static List<string> Run(PreTokenizer pre, string text, bool first = true)
    {
        var output = new List<string>();
        pre.Split(text, first, output);
        return output;
    }

    [Theory]
    [InlineData("Removed", "the|final|countdown")]
    [InlineData("Isolated", "the|-|final|-|-|countdown")]
    [InlineData("MergedWithPrevious", "the-|final-|-|countdown")]
    [InlineData("MergedWithNext", "the|-final|-|-countdown")]
    [InlineData("Contiguous", "the|-|final|--|countdown")]
    public void SplitBehaviorsOnTheDocumentedExample(string behaviorName, string expected)
    {
        var behavior = Enum.Parse<SplitBehavior>(behaviorName);
        Assert.Equal(expected.Split('|'), Run(new SplitPreTokenizer(null, "-", behavior, invert: false), "the-final--countdown"));
        Assert.Equal(expected.Split('|'), Run(new SplitPreTokenizer(new CodePointRegex("-", "test"), null, behavior, invert: false), "the-final--countdown"));
    }

    [Fact]
    public void InvertedRegexKeepsTheMatches()
    {
        // Whitespace pre-tokenizer: \w+|[^\w\s]+ with the matches kept and the rest removed.
        var whitespace = new SplitPreTokenizer(new CodePointRegex(@"\w+|[^\w\s]+", "test"), null, SplitBehavior.Removed, invert: true);
        Assert.Equal(["Hey", "friend", "!", "How", "are", "you", "?!?"], Run(whitespace, "Hey friend!     How are you?!?"));
    }

    [Fact]
    public void DigitsAloneOrInRuns()
    {
        Assert.Equal(["Call ", "1", "2", "3", " please"], Run(new DigitsPreTokenizer(individualDigits: true), "Call 123 please"));
        Assert.Equal(["Call ", "123", " please"], Run(new DigitsPreTokenizer(individualDigits: false), "Call 123 please"));
    }

    [Fact]
    public void PunctuationIsIsolatedByDefaultRules()
    {
        Assert.Equal(["Hey", ",", " you", "!", "!"], Run(new PunctuationPreTokenizer(SplitBehavior.Isolated), "Hey, you!!"));
        Assert.Equal(["Hey,", " you!", "!"], Run(new PunctuationPreTokenizer(SplitBehavior.MergedWithPrevious), "Hey, you!!"));
    }

    [Fact]
    public void MetaspaceReplacesSpacesAndPrependsPerScheme()
    {
        Assert.Equal(["▁Hey", "▁friend"], Run(new MetaspacePreTokenizer('▁', "always", split: true), "Hey friend"));
        Assert.Equal(["▁Hey▁friend"], Run(new MetaspacePreTokenizer('▁', "always", split: false), "Hey friend"));
        // "first": only the text at the very start of the input gets the prefix, not text after an added token.
        Assert.Equal(["Hey", "▁friend"], Run(new MetaspacePreTokenizer('▁', "first", split: true), "Hey friend", first: false));
        Assert.Equal(["Hey", "▁friend"], Run(new MetaspacePreTokenizer('▁', "never", split: true), "Hey friend"));
    }

    [Fact]
    public void ByteLevelAddsAPrefixSpaceAndSplitsWithGpt2Regex()
    {
        Assert.Equal([" Hello", ",", " world"], Run(new ByteLevelPreTokenizer(addPrefixSpace: true, useRegex: true), "Hello, world"));
        Assert.Equal(["Hello, world"], Run(new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false), "Hello, world"));
    }

    [Fact]
    public void BertSplitsWhitespaceAndEveryPunctuationCharacter()
    {
        Assert.Equal(["Hello", ",", "y", "'", "all", "$", "5", "。"], Run(new BertPreTokenizer(splitPunctuation: true), "Hello,  y'all\t$5。"));
        Assert.Equal(["Hello,", "y'all"], Run(new BertPreTokenizer(splitPunctuation: false), " Hello,\ny'all "));
    }
}
