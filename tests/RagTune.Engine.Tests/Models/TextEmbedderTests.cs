// Text in, embedding out: tokenisation with [CLS]/[SEP], truncation to the model's positions, batch order.
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class TextEmbedderTests
{
    private static readonly TextEmbedder Embedder = TextEmbedder.Load(Fixtures.Dir("bert-tiny-cls"));

    [Fact]
    public void Texts_embed_to_the_golden_embeddings_in_order()
    {
        var golden = Fixtures.Golden("bert-tiny-cls");
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var expected = golden.GetProperty("embeddings").EnumerateArray().Select(e => e.Floats()).ToArray();
        var actual = Embedder.Embed(texts, TestContext.Current.CancellationToken);
        for (int i = 0; i < texts.Length; i++)
            Kernels.KernelAgreementTests.AssertClose(expected[i], actual[i], 1e-5f);
    }

    [Fact]
    public void Long_texts_are_truncated_to_the_positions_keeping_the_final_sep()
    {
        string text = string.Join(" ", Enumerable.Repeat("hello world", 100));
        int[] ids = Embedder.Tokenize(text);
        Assert.Equal(64, ids.Length);
        Assert.Equal(Embedder.Tokenizer.TokenToId("[CLS]"), ids[0]);
        Assert.Equal(Embedder.Tokenizer.TokenToId("[SEP]"), ids[^1]);
        Assert.Equal(32, Embedder.Embed(text).Length);
    }
}
