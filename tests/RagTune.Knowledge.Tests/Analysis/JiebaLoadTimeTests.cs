// Loading dict.txt (here the built-in copy, gzip included) parses bytes, not regexes: a guard against an accidentally slow loader. The real number (< 1 s)
// is measured by bench/retrieval and recorded in bench/RESULTS.md; here the bound is loose because CI machines are shared.
using System.Diagnostics;
using RagTune.Knowledge.Analysis;
using Xunit;

namespace RagTune.Knowledge.Tests.Analysis;

[CollectionDefinition(nameof(JiebaLoadTimeTests), DisableParallelization = true)]
public sealed class JiebaLoadTimeCollection;

[Collection(nameof(JiebaLoadTimeTests))]
public sealed class JiebaLoadTimeTests
{
    [Fact]
    public void Loading_the_dictionary_is_fast_and_complete()
    {
        var best = TimeSpan.MaxValue;
        JiebaDictionary? dict = null;
        for (int i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            dict = JiebaDictionary.LoadEmbedded();
            if (sw.Elapsed < best) best = sw.Elapsed;
        }
        Assert.Equal(498_113, dict!.EntryCount); // len(jieba.dt.FREQ) for the same dict.txt
        Assert.True(best < TimeSpan.FromSeconds(3), $"load took {best.TotalMilliseconds:F0} ms");
    }
}
