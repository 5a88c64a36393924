// Adapters belong to the session, not to the shared model: sessions over one DecoderModel with different AdapterSets (or
// none), stepped in turn or run concurrently, each get exactly what they get alone; an adapter session equals the model
// with the adapter merged into its weights; a set shaped for another model is refused naming the module.
using RagTune.Engine.Generation;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using Xunit;
using static RagTune.Engine.Tests.Models.FusedDecodeTests;

namespace RagTune.Engine.Tests.Models;

public class AdapterSetTests
{
    /// <summary>A rank-<paramref name="rank"/> adapter on every projection with random A and non-zero B, so it changes the output.</summary>
    internal static AdapterSet RandomAdapters(DecoderModel model, int seed, int rank = 4)
    {
        var random = new Random(seed);
        var adapters = PeftAdapter.CreateNew(model.LayerLinears,
            new LoraOptions { Rank = rank, Alpha = 2 * rank }.ForArchitecture(model.Config), random);
        foreach (var (_, a) in adapters.Modules)
            for (int i = 0; i < a.B.Length; i++) a.B[i] = (random.NextSingle() - 0.5f) * 0.5f;
        return adapters;
    }

    /// <summary>Prefill then <paramref name="steps"/> greedy tokens; the logits after the prompt and after each token.</summary>
    private static List<float[]> Alone(DecoderModel model, AdapterSet? adapters, int[] prompt, int steps)
    {
        var session = model.CreateSession(64, adapters: adapters);
        var all = new List<float[]> { session.Forward(prompt).ToArray() };
        for (int s = 0; s < steps; s++) all.Add(session.Forward([ArgMax(all[^1])]).ToArray());
        return all;
    }

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.BF16)]
    [InlineData(WeightFormat.Q8)]
    public void Interleaved_sessions_with_different_adapters_each_get_their_own_result(WeightFormat format)
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"), format);
        int[] prompt = Fixtures.Golden("qwen2-tiny").GetProperty("prompt_ids").Ints();
        AdapterSet?[] sets = [RandomAdapters(model, 1), RandomAdapters(model, 2), null];
        var alone = sets.Select(a => Alone(model, a, prompt, 8)).ToArray();
        Assert.NotEqual(alone[0][0], alone[1][0]);
        Assert.NotEqual(alone[0][0], alone[2][0]);

        // The three sequences in turn, token by token, on the one model.
        var sessions = sets.Select(a => model.CreateSession(64, adapters: a)).ToArray();
        var last = sessions.Select(s => s.Forward(prompt).ToArray()).ToArray();
        for (int i = 0; i < sets.Length; i++) Assert.Equal(alone[i][0], last[i]);
        for (int step = 1; step <= 8; step++)
            for (int i = 0; i < sets.Length; i++)
            {
                last[i] = sessions[i].Forward([ArgMax(last[i])]).ToArray();
                Assert.Equal(alone[i][step], last[i]);
            }
    }

    [Fact]
    public async Task Concurrent_generations_with_different_adapters_equal_each_alone()
    {
        var generator = TextGenerator.Load(Fixtures.Dir("qwen2-tiny"));
        int[] prompt = Fixtures.Golden("qwen2-tiny").GetProperty("prompt_ids").Ints();
        AdapterSet?[] sets = [RandomAdapters(generator.Model, 1), RandomAdapters(generator.Model, 2), null];
        GenerationOptions Options(AdapterSet? a) => new() { MaxTokens = 12, StopTokenIds = [], Adapters = a };
        var ct = TestContext.Current.CancellationToken;
        var alone = new List<IReadOnlyList<int>>();
        foreach (var a in sets) alone.Add((await generator.GenerateTextAsync(prompt, Options(a), ct)).TokenIds);
        Assert.NotEqual(alone[0], alone[2]);

        for (int round = 0; round < 3; round++)
        {
            var together = await Task.WhenAll(sets.Concat(sets).Select(a => Task.Run(() => generator.GenerateTextAsync(prompt, Options(a), ct), ct)));
            for (int i = 0; i < together.Length; i++)
                Assert.Equal(alone[i % sets.Length], together[i].TokenIds);
        }
    }

    [Theory]
    [MemberData(nameof(FusedDecodeTests.Decoders), MemberType = typeof(FusedDecodeTests))]
    public void Adapter_session_equals_the_model_with_the_adapter_merged(string name)
    {
        var model = DecoderModel.Load(Fixtures.Dir(name), WeightFormat.F32);
        int[] prompt = Fixtures.Golden(name).GetProperty("prompt_ids").Ints();
        var adapters = RandomAdapters(model, 3);
        var unmerged = Alone(model, adapters, prompt, 6);
        var plain = Alone(model, null, prompt, 6);

        var merged = DecoderModel.Load(Fixtures.Dir(name), WeightFormat.F32);
        Assert.Equal(adapters.Modules.Count, adapters.MergeInto(merged.LayerLinears));
        var session = merged.CreateSession(64);
        var logits = session.Forward(prompt).ToArray();
        for (int step = 0; ; step++)
        {
            Assert.True(unmerged[step].Zip(plain[step]).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, $"{name}: the adapter changes nothing");
            for (int i = 0; i < logits.Length; i++)
                Assert.True(Math.Abs(unmerged[step][i] - logits[i]) <= 1e-4f * Math.Max(1f, Math.Abs(logits[i])),
                    $"{name} step {step} logit {i}: unmerged {unmerged[step][i]}, merged {logits[i]}");
            if (step == 6) break;
            logits = session.Forward([ArgMax(unmerged[step])]).ToArray();
        }
        // The first model was never changed by its adapter sessions.
        Assert.Equal(plain[0], Alone(model, null, prompt, 0)[0]);
    }

    [Fact]
    public void Scaled_set_shares_the_matrices_and_scales_the_update()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        int[] prompt = Fixtures.Golden("qwen2-tiny").GetProperty("prompt_ids").Ints();
        var adapters = RandomAdapters(model, 4);
        var off = adapters.Scaled(0);
        Assert.Same(adapters.Modules[0].Value.A, off.Modules[0].Value.A);
        Assert.Equal(Alone(model, null, prompt, 3), Alone(model, off, prompt, 3));
        Assert.Equal(2 * adapters.Modules[0].Value.Scale, adapters.Scaled(2).Modules[0].Value.Scale);
    }

    [Fact]
    public void A_set_shaped_for_another_model_is_refused_naming_the_module()
    {
        var qwen = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var llama = DecoderModel.Load(Fixtures.Dir("llama-tiny"));
        var ex = Assert.Throws<EngineException>(() => llama.CreateSession(16, adapters: RandomAdapters(qwen, 5)));
        Assert.Contains("model.layers.0.self_attn.q_proj", ex.Message);
        Assert.Contains("llama-tiny", ex.Message);
    }
}
