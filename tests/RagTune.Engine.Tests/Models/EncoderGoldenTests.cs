// BERT (CLS + Normalize, mean with a "bert." prefix) and XLM-R (positions from padding_idx + 1) against PyTorch:
// last_hidden_state and pooled embeddings of texts that PyTorch ran as one padded batch.
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class EncoderGoldenTests
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Encoders => new(Fixtures.Encoders);

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Embeddings_match_the_padded_pytorch_batch(string name)
    {
        var golden = Fixtures.Golden(name);
        var encoder = BertEncoder.Load(Fixtures.Dir(name));
        var ids = golden.GetProperty("input_ids").EnumerateArray().Select(e => e.Ints()).ToArray();
        var expected = golden.GetProperty("embeddings").EnumerateArray().Select(e => e.Floats()).ToArray();
        Assert.True(ids.Select(i => i.Length).Distinct().Count() > 1, "the batch must have needed padding");
        for (int b = 0; b < ids.Length; b++)
            Kernels.KernelAgreementTests.AssertClose(expected[b], encoder.Embed(ids[b]), Tolerance);
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Last_hidden_state_matches_pytorch(string name)
    {
        var golden = Fixtures.Golden(name);
        var encoder = BertEncoder.Load(Fixtures.Dir(name));
        int[] ids = golden.GetProperty("input_ids")[0].Ints();
        var expected = golden.GetProperty("last_hidden_state_0").EnumerateArray().SelectMany(e => e.Floats()).ToArray();
        Kernels.KernelAgreementTests.AssertClose(expected, encoder.Forward(ids), Tolerance);
    }

    [Theory]
    [InlineData("bert-tiny-cls", PoolingMode.Cls, true, "")]
    [InlineData("bert-tiny-mean", PoolingMode.Mean, false, "bert.")]
    [InlineData("xlmr-tiny-mean", PoolingMode.Mean, true, "")]
    [InlineData("xlmr-unigram-cls", PoolingMode.Cls, true, "")]
    public void Pooling_and_prefix_come_from_the_checkpoint(string name, PoolingMode mode, bool normalize, string prefix)
    {
        var encoder = BertEncoder.Load(Fixtures.Dir(name));
        Assert.Equal(new Pooling(mode, normalize), encoder.Pooling);
        Assert.Equal(prefix, encoder.Prefix);
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Parameter_count_is_every_checkpoint_element_but_the_unused_pooler(string name)
    {
        using var checkpoint = RagTune.Engine.Tensors.Checkpoint.Open(Fixtures.Dir(name));
        long expected = checkpoint.Tensors.Where(t => !t.Name.Contains("pooler.")).Sum(t => t.ElementCount);
        Assert.Equal(expected, BertEncoder.Load(Fixtures.Dir(name)).ParameterCount);
    }

    [Fact]
    public void Without_modules_json_pooling_is_mean_without_normalisation()
    {
        string dir = Fixtures.CopyToTemp("bert-tiny-cls");
        try
        {
            File.Delete(Path.Combine(dir, "modules.json"));
            Assert.Equal(Pooling.Default, Pooling.Load(dir));
            Assert.Equal(new Pooling(PoolingMode.Mean, false), Pooling.Default);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Pooling_modes_follow_their_definitions()
    {
        float[] hidden = [1, 2, 3, 6, -5, 4]; // T = 3, C = 2
        var e = new float[2];
        new Pooling(PoolingMode.Mean, false).Apply(hidden, 3, e);
        Assert.Equal([-1f / 3, 4f], e);
        new Pooling(PoolingMode.Max, false).Apply(hidden, 3, e);
        Assert.Equal([3f, 6f], e);
        new Pooling(PoolingMode.LastToken, false).Apply(hidden, 3, e);
        Assert.Equal([-5f, 4f], e);
        new Pooling(PoolingMode.Cls, true).Apply([3, 4, 0, 0], 2, e);
        Assert.Equal([0.6f, 0.8f], e);
    }

    [Fact]
    public void Too_many_tokens_are_rejected_with_the_limit()
    {
        var encoder = BertEncoder.Load(Fixtures.Dir("xlmr-tiny-mean"));
        var ex = Assert.Throws<EngineException>(() => encoder.Forward(new int[64]));
        Assert.Contains("63 positions", ex.Message);
    }
}
