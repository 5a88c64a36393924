// `ragtune embed` and `ragtune inspect` in-process against the tiny fixtures.
using System.Text.Json;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class EmbedInspectCommandTests
{
    [Theory]
    [InlineData("bert-tiny-cls")]
    [InlineData("xlmr-unigram-cls")] // bge-m3-shaped: XLM-R with a SentencePiece Unigram tokenizer
    public async Task Embed_prints_json_with_the_golden_embeddings(string fixture)
    {
        var golden = ModelFixtures.Golden(fixture);
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var r = await CliHarness.RunAsync(["embed", "--model", ModelFixtures.Dir(fixture), .. texts]);
        Assert.True(r.ExitCode == 0, r.Stderr);
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
    public async Task Embed_runs_a_decoder_embedder_with_its_last_token_pooling()
    {
        var golden = ModelFixtures.Golden("qwen3-embed-tiny");
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var r = await CliHarness.RunAsync(["embed", "--model", ModelFixtures.Dir("qwen3-embed-tiny"), .. texts]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("Qwen3ForCausalLM", doc.RootElement.GetProperty("architecture").GetString());
        Assert.Equal("lasttoken", doc.RootElement.GetProperty("pooling").GetString());
        Assert.True(doc.RootElement.GetProperty("normalized").GetBoolean());
        var data = doc.RootElement.GetProperty("data").EnumerateArray().ToArray();
        var expected = golden.GetProperty("embeddings").EnumerateArray().ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            var got = data[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var want = expected[i].EnumerateArray().Select(x => x.GetSingle()).ToArray();
            for (int j = 0; j < want.Length; j++)
                Assert.True(Math.Abs(want[j] - got[j]) < 1e-5f, $"text {i} dim {j}: {want[j]} vs {got[j]}");
        }
        Assert.DoesNotContain("warning", r.Stderr);
    }

    [Fact]
    public async Task Embed_truncates_over_long_input_to_the_positions_with_a_warning()
    {
        // bert-tiny-cls has 64 positions; longer input used to be cut silently, and --max-length did not exist.
        string longText = string.Join(' ', Enumerable.Repeat("hello world", 80));
        var r = await CliHarness.RunAsync("embed", "--model", ModelFixtures.Dir("bert-tiny-cls"), longText, "hello world");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("warning: 1 of 2 inputs exceeded 64 tokens and were truncated", r.Stderr);
        using (var doc = JsonDocument.Parse(r.Stdout))
        {
            var data = doc.RootElement.GetProperty("data");
            Assert.Equal(64, data[0].GetProperty("tokens").GetInt32());
            Assert.True(data[0].GetProperty("truncated").GetBoolean());
            Assert.False(data[1].GetProperty("truncated").GetBoolean());
        }

        var shorter = await CliHarness.RunAsync("embed", "--model", ModelFixtures.Dir("bert-tiny-cls"), "--max-length", "8", longText);
        Assert.True(shorter.ExitCode == 0, shorter.Stderr);
        Assert.Contains("warning: 1 of 1 inputs exceeded 8 tokens and were truncated", shorter.Stderr);
        using (var doc = JsonDocument.Parse(shorter.Stdout))
            Assert.Equal(8, doc.RootElement.GetProperty("data")[0].GetProperty("tokens").GetInt32());

        var tooLong = await CliHarness.RunAsync("embed", "--model", ModelFixtures.Dir("bert-tiny-cls"), "--max-length", "65", longText);
        Assert.NotEqual(0, tooLong.ExitCode);
        Assert.Contains("max length 65: expected 1..64", tooLong.Stderr);
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
