// `/v1/embeddings` served by a decoder embedder (qwen3-embed-tiny, Qwen3-Embedding's layout): the OpenAI-shaped reply
// carries the PyTorch golden embeddings of tools/reference/make_decoder_embedder.py.
using System.Text;
using System.Text.Json;
using RagTune.Server.Configuration;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class DecoderEmbeddingServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_decoder_embedder_serves_the_golden_embeddings()
    {
        string model = TestServer.Data("models/qwen3-embed-tiny");
        using var golden = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(model, "golden.json")));
        var texts = golden.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var expected = golden.RootElement.GetProperty("embeddings").EnumerateArray()
            .Select(e => e.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        await using var server = await TestServer.StartAsync(new ServerOptions
        {
            Models = [new ModelEntry { Name = "qwen3-embed", Path = model, Kind = "embedding" }],
        });
        using var http = server.Http();
        var response = await http.PostAsync("/v1/embeddings", new StringContent(
            JsonSerializer.Serialize(new { model = "qwen3-embed", input = texts, encoding_format = "float" }), Encoding.UTF8, "application/json"), Ct);
        string body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, body);
        var data = JsonDocument.Parse(body).RootElement.GetProperty("data");
        Assert.Equal(texts.Length, data.GetArrayLength());
        for (int i = 0; i < texts.Length; i++)
        {
            var got = data[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            Assert.Equal(expected[i].Length, got.Length);
            for (int j = 0; j < got.Length; j++)
                Assert.True(Math.Abs(expected[i][j] - got[j]) < 1e-5f, $"text {i} dim {j}: {expected[i][j]} vs {got[j]}");
        }
    }
}
