// Stop strings across streamed pieces: partial matches are held back, released when they turn out not to match.
using RagTune.Engine.Generation;
using Xunit;

namespace RagTune.Engine.Tests.Generation;

public class StopStringMatcherTests
{
    [Fact]
    public void A_stop_string_split_across_pieces_is_never_released()
    {
        var m = new StopStringMatcher(["</answer>"]);
        Assert.Equal("The answer is 4", m.Add("The answer is 4</"));
        Assert.Equal("", m.Add("ans"));
        Assert.Equal("", m.Add("wer> and more"));
        Assert.True(m.Stopped);
        Assert.Equal("</answer>", m.Matched);
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void A_partial_match_that_fails_is_released()
    {
        var m = new StopStringMatcher(["STOP"]);
        Assert.Equal("a ", m.Add("a ST"));
        Assert.Equal("STa", m.Add("a"));
        Assert.False(m.Stopped);
        Assert.Equal("", m.Add("S"));
        Assert.Equal("S", m.Flush());
    }

    [Fact]
    public void The_earliest_of_several_stop_strings_wins()
    {
        var m = new StopStringMatcher(["\n\n", "User:"]);
        Assert.Equal("hi", m.Add("hiUser: x\n\ny"));
        Assert.Equal("User:", m.Matched);
    }

    [Fact]
    public void Without_stop_strings_text_passes_through()
    {
        var m = new StopStringMatcher([]);
        Assert.Equal("abc", m.Add("abc"));
        Assert.Equal("", m.Flush());
    }
}
