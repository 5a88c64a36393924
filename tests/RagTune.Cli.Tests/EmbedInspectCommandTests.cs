// `ragtune embed` and `ragtune inspect` in-process against the tiny fixtures.
using System.Text.Json;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class EmbedInspectCommandTests
{
    [Fact]
    public async Task Embed_prints_json_with_the_golden_embeddings()
    {
        var golden = ModelFixtures.Golden("bert-tiny-cls");
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var r = await CliHarness.RunAsync(["embed", "--model", ModelFixtures.Dir("bert-tiny-cls"), .. texts]);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("cls", doc.RootElement.GetProperty("pooling").GetString());
        Assert.True(doc.RootElement.GetProperty("normalized").GetBoolean());
        Assert.Equal(32, doc.RootElement.GetProperty("dimensions").GetInt32());
        var data = doc.RootElement.GetProperty("data").EnumerateArray().ToArray();
        var expected = golden.GetProperty("embeddings").EnumerateArray().ToArray();
        Assert.Equal(texts.Length, data.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i], data[i].GetProperty("text").GetString());
            var got = data[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var want = expected[i].EnumerateArray().Select(x => x.GetSingle()).ToArray();
            for (int j = 0; j < want.Length; j++)
                Assert.True(Math.Abs(want[j] - got[j]) < 1e-5f, $"text {i} dim {j}: {want[j]} vs {got[j]}");
        }
    }

    [Fact]
    public async Task Inspect_describes_a_sharded_decoder()
    {
        var r = await CliHarness.RunAsync("inspect", ModelFixtures.Dir("llama-tiny"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("LlamaForCausalLM", r.Stdout);
        Assert.Contains("4 query, 1 key/value, head_dim 8", r.Stdout);
        Assert.Contains("llama3 scaling ×8", r.Stdout);
        Assert.Contains("2 safetensors", r.Stdout);
        Assert.Contains("all present", r.Stdout);
        Assert.Contains("ByteLevelBpe, 509 ids, 3 added tokens", r.Stdout);
        // 512·32 (embed) + 512·32 (lm_head) + 32 (norm) + 2 layers × (2·32 norms + 32·32 q + 2·8·32 k,v + 32·32 o + 3·64·32 mlp)
        Assert.Contains("parameters:        50,336", r.Stdout);
        // The vector path this machine runs the kernels on, and the CPU flags behind the choice.
        Assert.Matches(@"kernels:\s+(512-bit \(AVX-512\)|256-bit \(AVX2/FMA\)|scalar/Vector<T> fallback); CPU: avx2 (yes|no)", r.Stdout);
    }

    [Fact]
    public async Task Inspect_describes_an_encoder_and_its_pooling()
    {
        var r = await CliHarness.RunAsync("inspect", ModelFixtures.Dir("bert-tiny-cls"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("BertModel", r.Stdout);
        Assert.Contains("cls, L2-normalised", r.Stdout);
        Assert.Contains("WordPiece", r.Stdout);
    }
}
