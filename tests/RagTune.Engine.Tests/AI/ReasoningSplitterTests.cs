// Qwen3 reasoning split: the template's own reading of a turn (reasoning inside <think>…</think> without surrounding
// newlines, answer after it without leading newlines), and the same result however the text is cut into pieces.
using RagTune.Engine.AI;
using Xunit;

namespace RagTune.Engine.Tests.AI;

public class ReasoningSplitterTests
{
    [Theory]
    [InlineData("<think>\nI should add.\n</think>\n\n4", "I should add.", "4")]
    [InlineData("<think>\n\n</think>\n\nHi", "", "Hi")]
    [InlineData("Hello", "", "Hello")]
    [InlineData("<thin", "", "<thin")]
    [InlineData("<think>\nstill thinking\n\n", "still thinking", "")]
    [InlineData("<think>a\n\nb</think>x</think>y", "a\n\nb", "x</think>y")]
    [InlineData("\n<think>x</think>y", "", "\n<think>x</think>y")]
    [InlineData("<think>x</think>\n\n", "x", "")]
    [InlineData("<think>a</thinking> b\n</think>c\n", "a</thinking> b", "c\n")]
    [InlineData("", "", "")]
    public void Splits_like_the_template_whatever_the_pieces(string text, string reasoning, string answer)
    {
        Assert.Equal((reasoning, answer), Run([text]));
        Assert.Equal((reasoning, answer), Run(text.Select(c => c.ToString())));
        for (int cut = 0; cut <= text.Length; cut++)
            Assert.Equal((reasoning, answer), Run([text[..cut], text[cut..]]));
    }

    [Fact]
    public void Reasoning_streams_before_the_block_closes()
    {
        var splitter = new ReasoningSplitter();
        Assert.Equal(("", ""), splitter.Add("<think>\n"));
        Assert.Equal(("Let me", ""), splitter.Add("Let me"));
        Assert.Equal((" see", ""), splitter.Add(" see\n</"));
        Assert.Equal(("", "The"), splitter.Add("think>\n\nThe"));
        Assert.Equal(("", " answer"), splitter.Add(" answer"));
        Assert.Equal(("", ""), splitter.Flush());
    }

    private static (string, string) Run(IEnumerable<string> pieces)
    {
        var splitter = new ReasoningSplitter();
        string reasoning = "", answer = "";
        foreach (var piece in pieces)
        {
            var (r, a) = splitter.Add(piece);
            reasoning += r;
            answer += a;
        }
        var (fr, fa) = splitter.Flush();
        return (reasoning + fr, answer + fa);
    }
}
