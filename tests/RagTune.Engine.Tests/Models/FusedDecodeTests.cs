// The fused single-token decode path against the unfused per-projection path (its oracle) on every decoder fixture
// and weight format, without and with a session's LoRA adapter: the same logits, token after token, up to summation
// order; and the bf16/Q8 storage is read.
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class FusedDecodeTests
{
    public static TheoryData<string, WeightFormat> Cases()
    {
        var data = new TheoryData<string, WeightFormat>();
        foreach (var name in Fixtures.Decoders)
            foreach (var format in new[] { WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8 })
                data.Add(name, format);
        return data;
    }

    public static TheoryData<string> Decoders => new(Fixtures.Decoders);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_decode_matches_the_unfused_path(string name, WeightFormat format) => AssertFusedMatchesUnfused(name, format, adapter: false);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_decode_with_an_adapter_matches_the_unfused_path(string name, WeightFormat format) =>
        AssertFusedMatchesUnfused(name, format, adapter: true);

    private static void AssertFusedMatchesUnfused(string name, WeightFormat format, bool adapter)
    {
        var model = DecoderModel.Load(Fixtures.Dir(name), format);
        int[] prompt = Fixtures.Golden(name).GetProperty("prompt_ids").Ints();
        var adapters = adapter ? AdapterSetTests.RandomAdapters(model, 11) : null;
        var fused = model.CreateSession(capacity: 64, adapters: adapters);
        var plain = model.CreateSession(capacity: 64, adapters: adapters);
        fused.Forward(prompt);
        var logits = plain.Forward(prompt).ToArray();
        int next = ArgMax(logits);
        for (int step = 0; step < 8; step++)
        {
            model.FusedDecode = false;
            var expected = plain.Forward([next]).ToArray();
            model.FusedDecode = true;
            var actual = fused.Forward([next]).ToArray();
            // Same arithmetic in a different order (and Q8 quantises the same activations): agreement to ~1e-5.
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-4f * Math.Max(1f, Math.Abs(expected[i])),
                    $"{name} {format} adapter {adapter} step {step} logit {i}: unfused {expected[i]}, fused {actual[i]}");
            next = ArgMax(expected);
        }
    }

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.BF16)]
    [InlineData(WeightFormat.Q8)]
    public void Operands_read_the_weight_storage_of_each_format(WeightFormat format)
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"), format);
        var q = model.Layers[0].QProj!;
        var operand = model.Layers[0].Operands[0];
        Assert.Equal((q.OutFeatures, q.InFeatures), (operand.Rows, operand.Cols));
        Assert.Same(q.Bias, operand.Bias);
        var row = new float[q.InFeatures];
        q.Weight.ReadRow(3, row);
        var viaOperand = new float[q.InFeatures];
        switch (format)
        {
            case WeightFormat.F32:
                operand.Weight.Float32.Slice(3 * q.InFeatures, q.InFeatures).CopyTo(viaOperand);
                break;
            case WeightFormat.BF16:
                for (int i = 0; i < row.Length; i++) viaOperand[i] = BitConverter.Int32BitsToSingle(operand.Weight.BF16Bits[3 * q.InFeatures + i] << 16);
                break;
            default:
                Q8.Dequantize(operand.Weight.Q8Values.Slice(3 * q.InFeatures, q.InFeatures),
                    operand.Weight.Q8Scales.Slice(3 * q.InFeatures / Q8.BlockSize, q.InFeatures / Q8.BlockSize), viaOperand);
                break;
        }
        Assert.Equal(row, viaOperand);
    }

    [Fact]
    public void Fused_decode_reads_a_weight_written_after_its_first_use()
    {
        // The weights are mapped from the checkpoint; writing one (as adapter merging does) makes a private copy. The fused
        // path must read that copy, not the mapping it saw at the first decoded token.
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"), WeightFormat.F32);
        int[] prompt = Fixtures.Golden("qwen2-tiny").GetProperty("prompt_ids").Ints();
        var session = model.CreateSession(capacity: 64);
        session.Forward(prompt);
        session.Forward([1]);
        var w = model.Layers[0].QProj!.Weight;
        Assert.True(w.IsMapped);
        var writable = w.WritableFloat32();
        for (int i = 0; i < writable.Length; i++) writable[i] *= 1.5f;

        var fused = model.CreateSession(capacity: 64);
        var plain = model.CreateSession(capacity: 64);
        fused.Forward(prompt);
        plain.Forward(prompt);
        model.FusedDecode = false;
        var expected = plain.Forward([1]).ToArray();
        model.FusedDecode = true;
        var actual = fused.Forward([1]).ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-4f * Math.Max(1f, Math.Abs(expected[i])),
                $"logit {i}: unfused {expected[i]}, fused {actual[i]}");
    }

    internal static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
