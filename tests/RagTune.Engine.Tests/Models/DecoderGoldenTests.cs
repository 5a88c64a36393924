// Every decoder fixture (Qwen2, Qwen3, Qwen3 bf16, LLaMA sharded with llama3 RoPE, LLaMA linear RoPE, InternLM2 with packed
// wqkv and dynamic NTK RoPE, GPT-2 with learned positions, LayerNorm, gelu MLP and Conv1D weights) against PyTorch:
// logits at every prompt position within 1e-4, and greedy continuations exactly.
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class DecoderGoldenTests
{
    // fp32 PyTorch vs fp32 here differ only in summation order: ~1e-6 on logits of magnitude ~10.
    private const float Tolerance = 1e-4f;

    public static TheoryData<string> Decoders => new(Fixtures.Decoders);

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Prompt_logits_match_pytorch_at_every_position(string name)
    {
        var golden = Fixtures.Golden(name);
        var model = DecoderModel.Load(Fixtures.Dir(name));
        int[] ids = golden.GetProperty("prompt_ids").Ints();
        int v = model.Config.VocabSize;
        var logits = new float[ids.Length * v];
        // A chunk smaller than the prompt also exercises prefill in pieces over the cache.
        model.CreateSession(capacity: 64, chunk: 5).ForwardAll(ids, logits);
        var rows = golden.GetProperty("logits").EnumerateArray().ToArray();
        Assert.Equal(ids.Length, rows.Length);
        double maxDiff = 0;
        for (int t = 0; t < ids.Length; t++)
        {
            var expected = rows[t].Floats();
            for (int i = 0; i < v; i++)
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - logits[t * v + i]));
        }
        Assert.True(maxDiff < Tolerance, $"{name}: max |Δlogit| = {maxDiff}");
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Greedy_continuation_with_kv_cache_matches_pytorch(string name)
    {
        var golden = Fixtures.Golden(name);
        var model = DecoderModel.Load(Fixtures.Dir(name));
        var session = model.CreateSession(capacity: 128);
        foreach (var (prompt, expected) in new[] { ("prompt_ids", "greedy_ids"), ("chat_prompt_ids", "chat_greedy_ids") })
        {
            session.Reset();
            int[] want = golden.GetProperty(expected).Ints();
            var logits = session.Forward(golden.GetProperty(prompt).Ints());
            var got = new List<int>();
            for (int n = 0; n < want.Length; n++)
            {
                int next = ArgMax(logits);
                got.Add(next);
                logits = session.Forward([next]);
            }
            Assert.Equal(want, got);
        }
    }

    [Fact]
    public void Decoding_token_by_token_equals_one_prefill()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny"));
        int[] ids = Fixtures.Golden("qwen3-tiny").GetProperty("prompt_ids").Ints();
        var whole = model.CreateSession(32).Forward(ids).ToArray();
        var stepwise = model.CreateSession(32);
        float[] last = [];
        foreach (int id in ids) last = stepwise.Forward([id]).ToArray();
        Kernels.KernelAgreementTests.AssertClose(whole, last, 1e-5f);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Parameter_count_is_every_checkpoint_element_once(string name)
    {
        using var checkpoint = RagTune.Engine.Tensors.Checkpoint.Open(Fixtures.Dir(name));
        Assert.Equal(checkpoint.Tensors.Sum(t => t.ElementCount), DecoderModel.Load(Fixtures.Dir(name)).ParameterCount);
    }

    [Fact]
    public void Truncating_the_cache_to_a_shared_prefix_reruns_the_same_continuation()
    {
        var session = DecoderModel.Load(Fixtures.Dir("qwen2-tiny")).CreateSession(32);
        int[] ids = Fixtures.Golden("qwen2-tiny").GetProperty("prompt_ids").Ints();
        session.Forward(ids[..6]);
        var first = session.Forward(ids[6..]).ToArray();
        session.Cache.Truncate(6);
        Kernels.KernelAgreementTests.AssertClose(first, session.Forward(ids[6..]).ToArray(), 0f);
    }

    [Fact]
    public void Session_rejects_more_tokens_than_its_capacity()
    {
        var session = DecoderModel.Load(Fixtures.Dir("llama-tiny")).CreateSession(capacity: 4);
        var ex = Assert.Throws<EngineException>(() => session.Forward([1, 2, 3, 4, 5]));
        Assert.Contains("capacity of 4", ex.Message);
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_rejected()
    {
        var session = DecoderModel.Load(Fixtures.Dir("llama-tiny")).CreateSession(capacity: 4);
        var ex = Assert.Throws<EngineException>(() => session.Forward([512]));
        Assert.Contains("token id 512", ex.Message);
    }

    internal static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }
}
