// Sentence boundaries for Chinese and English, with exact spans.
using Xunit;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Tests.Text;

public sealed class SentenceSplitterTests
{
    private static string[] Split(string text)
    {
        var spans = SentenceSplitter.Default.Split(text);
        foreach (var span in spans)
        {
            var sentence = text[span.Start..span.End];
            Assert.Equal(sentence.Trim(), sentence);
            Assert.NotEmpty(sentence);
        }
        return spans.Select(s => text[s.Start..s.End]).ToArray();
    }

    [Fact]
    public void ChineseTerminatorsKeepClosingQuotes()
    {
        Assert.Equal(
            ["他说：“今天天气很好。”", "我们出去吧！", "真的吗？", "好；", "走吧……", "「对。」", "《书名》很好。"],
            Split("他说：“今天天气很好。”我们出去吧！真的吗？好；走吧……「对。」《书名》很好。"));
    }

    [Fact]
    public void ChineseRunsOfTerminatorsStayTogether() =>
        Assert.Equal(["什么？！", "不可能！！！", "嗯。"], Split("什么？！不可能！！！嗯。"));

    [Fact]
    public void EnglishAbbreviationsDoNotEndSentences()
    {
        Assert.Equal(
            ["Dr. Smith met Mr. Jones at 5 p.m. yesterday.", "They discussed the U.S. economy, e.g. inflation, i.e. prices, etc. and more.",
             "See Fig. 3 for details.", "Acme Inc. was founded by Prof. Lee vs. Mrs. Chan."],
            Split("Dr. Smith met Mr. Jones at 5 p.m. yesterday. They discussed the U.S. economy, e.g. inflation, i.e. prices, etc. and more. " +
                  "See Fig. 3 for details. Acme Inc. was founded by Prof. Lee vs. Mrs. Chan."));
    }

    [Fact]
    public void NumberAbbreviationsNeedANumber() =>
        Assert.Equal(["No. 5 is here.", "I said no.", "Then I left."], Split("No. 5 is here. I said no. Then I left."));

    [Fact]
    public void DecimalsAndInitialsDoNotSplit()
    {
        Assert.Equal(["Pi is about 3.14159.", "The value 2.5 is smaller."], Split("Pi is about 3.14159. The value 2.5 is smaller."));
        Assert.Equal(["J. K. Rowling wrote books.", "She lives in Edinburgh."], Split("J. K. Rowling wrote books. She lives in Edinburgh."));
    }

    [Fact]
    public void EllipsisSplitsOnlyBeforeANewSentence() =>
        Assert.Equal(["Wait... what happened?", "Nothing...", "Then it rained… hard."],
            Split("Wait... what happened? Nothing... Then it rained… hard."));

    [Fact]
    public void EnglishClosingQuotesStayWithTheSentence() =>
        Assert.Equal(["\"Stop!\" he said.", "\"Why?\"", "She asked (twice.)", "Done."],
            Split("\"Stop!\" he said. \"Why?\" She asked (twice.) Done."));

    [Fact]
    public void BlankLinesAreHardBoundariesButSingleNewlinesAreNot() =>
        Assert.Equal(["A heading", "Body text wrapped\nover two lines.", "标题", "正文第一句。"],
            Split("A heading\n\nBody text wrapped\nover two lines.\n \t\n标题\r\n\r\n正文第一句。\f"));

    [Fact]
    public void MixedChineseAndEnglish() =>
        Assert.Equal(["RagTune 支持中文。", "It also supports English.", "很好！", "Version 1.2 works.", "OK.", "然后呢？"],
            Split("RagTune 支持中文。It also supports English. 很好！Version 1.2 works. OK.然后呢？"));

    [Fact]
    public void SpansAreAbsoluteInsideARange()
    {
        const string text = "Skip this. Take this one. And this.";
        var spans = SentenceSplitter.Default.Split(text, new TextSpan(11, text.Length));
        Assert.Equal([new TextSpan(11, 25), new TextSpan(26, 35)], spans);
        Assert.Equal("Take this one.", text[11..25]);
    }

    [Fact]
    public void TextWithoutTerminatorIsOneSentence() => Assert.Equal(["no punctuation at all"], Split("  no punctuation at all  "));
}
