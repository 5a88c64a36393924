// Continuous batching against each stream run alone. The batched pass (DecoderBatch) computes a decode row through the
// GEMM where a stream alone uses the fused matrix-vector kernels: the same arithmetic in another summation order, so the
// logits agree within 2e-4·max(1, |logit|) (the tolerance FusedDecodeTests allows the fused path) and greedy tokens
// are identical on every fixture. Streams joining mid-decode, mixed adapters, a prompt prefilled in chunks between
// decode steps and a cancelled stream leave the others' tokens unchanged.
using RagTune.Engine.Generation;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using Xunit;

namespace RagTune.Engine.Tests.Generation;

public class DecodeBatcherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, WeightFormat> Cases()
    {
        var data = new TheoryData<string, WeightFormat>();
        foreach (var name in Fixtures.Decoders)
            foreach (var format in new[] { WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8 })
                data.Add(name, format);
        return data;
    }

    /// <summary>Prompts of different lengths from the fixture's golden prompt (so the streams sit at different positions).</summary>
    private static int[][] Prompts(string name, int count)
    {
        int[] golden = Fixtures.Golden(name).GetProperty("prompt_ids").Ints();
        return [.. Enumerable.Range(0, count).Select(i => golden.Skip(i % golden.Length).Concat(golden.Take(i)).ToArray())];
    }

    private static GenerationOptions Greedy(int maxTokens, AdapterSet? adapters = null) =>
        new() { MaxTokens = maxTokens, StopTokenIds = [], Adapters = adapters };

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-4f * Math.Max(1f, Math.Abs(expected[i])),
                $"{what} logit {i}: alone {expected[i]}, batched {actual[i]}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_batched_pass_gives_each_session_its_logits_alone(string name, WeightFormat format)
    {
        var model = DecoderModel.Load(Fixtures.Dir(name), format);
        var prompts = Prompts(name, 5);
        // Sessions 0–3 decode (two of them with different adapters); session 4 is still prefilling its prompt in chunks.
        AdapterSet?[] adapters = [null, AdapterSetTests.RandomAdapters(model, 1), null, AdapterSetTests.RandomAdapters(model, 2), null];
        var alone = adapters.Select(a => model.CreateSession(64, adapters: a)).ToArray();
        var batched = adapters.Select(a => model.CreateSession(64, adapters: a)).ToArray();
        var next = new int[4];
        for (int i = 0; i < 4; i++)
        {
            next[i] = Sampler.ArgMax(alone[i].Forward(prompts[i]));
            batched[i].Forward(prompts[i]);
        }
        var batch = new DecoderBatch(model, maxRows: 16, maxEntries: 5);
        int v = model.Config.VocabSize;
        var logits = new float[5 * v];
        int[] prompt4 = prompts[4];
        int fed = 0;
        for (int step = 0; step < 6; step++)
        {
            var entries = new List<BatchEntry>();
            for (int i = 0; i < 4; i++) entries.Add(new BatchEntry(batched[i], new[] { next[i] }));
            int chunk = Math.Min(3, prompt4.Length - fed);
            if (chunk > 0) entries.Add(new BatchEntry(batched[4], prompt4.AsMemory(fed, chunk)));
            batch.Forward(entries, logits);
            for (int i = 0; i < 4; i++)
            {
                var expected = alone[i].Forward([next[i]]).ToArray();
                AssertClose(expected, logits.AsSpan(i * v, v), $"{name} {format} step {step} session {i}");
                next[i] = Sampler.ArgMax(expected);
                Assert.Equal(next[i], Sampler.ArgMax(logits.AsSpan(i * v, v)));
            }
            if (chunk > 0)
            {
                var expected = alone[4].Forward(prompt4.AsSpan(fed, chunk)).ToArray();
                AssertClose(expected, logits.AsSpan(4 * v, v), $"{name} {format} step {step} prefill chunk");
                fed += chunk;
            }
        }
        Assert.Equal(prompt4.Length, batched[4].Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_rows_of_every_tile_shape_give_each_session_its_logits_alone(string name, WeightFormat format)
    {
        // 2, 3, 5 and 8 decoding sessions: the few-rows kernels' tile shapes (4 rows with aliased ones, 8 rows with
        // aliased ones, 8 whole rows) and, for Q8, the few-rows int8 kernel (3 rows) beside the int8 GEMM (5 and 8).
        var model = DecoderModel.Load(Fixtures.Dir(name), format);
        int v = model.Config.VocabSize;
        foreach (int count in new[] { 2, 3, 5, 8 })
        {
            var prompts = Prompts(name, count);
            var alone = prompts.Select(_ => model.CreateSession(64)).ToArray();
            var batched = prompts.Select(_ => model.CreateSession(64)).ToArray();
            var next = new int[count];
            for (int i = 0; i < count; i++)
            {
                next[i] = Sampler.ArgMax(alone[i].Forward(prompts[i]));
                batched[i].Forward(prompts[i]);
            }
            var batch = new DecoderBatch(model, maxRows: 8, maxEntries: 8);
            var logits = new float[count * v];
            for (int step = 0; step < 3; step++)
            {
                batch.Forward([.. Enumerable.Range(0, count).Select(i => new BatchEntry(batched[i], new[] { next[i] }))], logits);
                for (int i = 0; i < count; i++)
                {
                    var expected = alone[i].Forward([next[i]]).ToArray();
                    AssertClose(expected, logits.AsSpan(i * v, v), $"{name} {format} {count} streams step {step} session {i}");
                    next[i] = Sampler.ArgMax(expected);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Concurrent_greedy_streams_produce_the_tokens_each_produces_alone(string name, WeightFormat format)
    {
        var model = DecoderModel.Load(Fixtures.Dir(name), format);
        var alone = Generator(name, model);
        var prompts = Prompts(name, 6);
        AdapterSet?[] adapters = [null, null, AdapterSetTests.RandomAdapters(model, 3), null, null, null];
        var expected = new List<IReadOnlyList<int>>();
        for (int i = 0; i < prompts.Length; i++)
            expected.Add((await alone.GenerateTextAsync(prompts[i], Greedy(12, adapters[i]), Ct)).TokenIds);

        // Four streams start together (the scheduler is held until all are queued); two more join before step 6, while
        // the first four are decoding.
        var generator = Generator(name, model, new BatchingOptions { MaxStreams = 8, PrefillTokensPerStep = 4 });
        var tasks = new Task<GenerationResult>[prompts.Length];
        generator.Batcher.BeforeStep = step =>
        {
            if (step == 6)
                for (int i = 4; i < prompts.Length; i++) tasks[i] = generator.GenerateTextAsync(prompts[i], Greedy(12, adapters[i]), Ct);
        };
        using (generator.Batcher.Hold())
            for (int i = 0; i < 4; i++) tasks[i] = generator.GenerateTextAsync(prompts[i], Greedy(12, adapters[i]), Ct);
        await Task.WhenAll(tasks[..4]);
        Assert.All(tasks, t => Assert.NotNull(t));
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(expected[i], results[i].TokenIds);
        Assert.True(generator.Batcher.BatchedSteps >= 11, $"{generator.Batcher.BatchedSteps} batched steps");
    }

    [Fact]
    public void A_long_prompt_fed_in_parts_between_decode_steps_is_rotated_for_its_whole_length()
    {
        // InternLM2's dynamic NTK RoPE: the 37-token prompt (past max_position_embeddings = 32) is one call, so every
        // position rotates with the base of length 37 as in PyTorch — also when it runs five tokens a pass beside a
        // decoding session. Readied part by part, positions 0..29 would rotate unscaled and the last logits miss.
        var golden = Fixtures.Golden("internlm2-tiny");
        var model = DecoderModel.Load(Fixtures.Dir("internlm2-tiny"));
        int[] prompt = golden.GetProperty("long_ids").Ints();
        int[] other = golden.GetProperty("prompt_ids").Ints();
        var decoding = model.CreateSession(64);
        int next = Sampler.ArgMax(decoding.Forward(other));
        var prefilling = model.CreateSession(64);
        prefilling.ReserveCall(prompt.Length);
        var batch = new DecoderBatch(model, maxRows: 8, maxEntries: 2);
        int v = model.Config.VocabSize;
        var logits = new float[2 * v];
        for (int fed = 0; fed < prompt.Length; fed += 5)
        {
            batch.Forward([new BatchEntry(decoding, new[] { next }), new BatchEntry(prefilling, prompt.AsMemory(fed, Math.Min(5, prompt.Length - fed)))], logits);
            next = Sampler.ArgMax(logits.AsSpan(0, v));
        }
        var expected = golden.GetProperty("long_logits_rows").EnumerateArray().Last().Floats();
        AssertClose(expected, logits.AsSpan(v, v), "internlm2 long prompt in parts");
    }

    [Fact]
    public void A_generation_prefilled_over_several_steps_runs_its_prompt_as_one_call()
    {
        // What the scheduler does with a 37-token InternLM2 prompt at five prompt tokens a step beside a decoding stream:
        // the sequence readies its prompt as one call, so its first logits are PyTorch's for the whole prompt.
        var golden = Fixtures.Golden("internlm2-tiny");
        var model = DecoderModel.Load(Fixtures.Dir("internlm2-tiny"));
        var generator = Generator("internlm2-tiny", model);
        var sequence = new GenerationSequence(generator, golden.GetProperty("long_ids").Ints(), Greedy(4));
        var decoding = model.CreateSession(64);
        int next = Sampler.ArgMax(decoding.Forward(golden.GetProperty("prompt_ids").Ints()));
        var batch = new DecoderBatch(model, maxRows: 8, maxEntries: 2);
        int v = model.Config.VocabSize;
        var logits = new float[2 * v];
        bool done;
        do
        {
            var ids = sequence.NextIds(5);
            batch.Forward([new BatchEntry(decoding, new[] { next }), new BatchEntry(sequence.Session, ids)], logits);
            next = Sampler.ArgMax(logits.AsSpan(0, v));
            done = sequence.Ran(ids);
        } while (!done);
        var expected = golden.GetProperty("long_logits_rows").EnumerateArray().Last().Floats();
        AssertClose(expected, logits.AsSpan(v, v), "internlm2 generation prompt in steps");
    }

    [Fact]
    public async Task A_lone_stream_prefilled_over_several_steps_starts_from_the_whole_prompts_logits()
    {
        // Alone, a stream's prompt parts before the last only fill its cache (no logits); the last part's logits are
        // PyTorch's for the whole 37-token prompt (dynamic NTK RoPE over its full length), so greedy picks their argmax.
        var golden = Fixtures.Golden("internlm2-tiny");
        var model = DecoderModel.Load(Fixtures.Dir("internlm2-tiny"));
        int[] prompt = golden.GetProperty("long_ids").Ints();
        var generator = Generator("internlm2-tiny", model, new BatchingOptions { PrefillTokensPerStep = 5 });
        var result = await generator.GenerateTextAsync(prompt, Greedy(1), Ct);
        int expected = Sampler.ArgMax(golden.GetProperty("long_logits_rows").EnumerateArray().Last().Floats());
        Assert.Equal([expected], result.TokenIds);
        Assert.Equal((prompt.Length + 4) / 5, generator.Batcher.Steps);
        Assert.Equal(0, generator.Batcher.BatchedSteps);
    }

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("gpt2-tiny")]
    [InlineData("internlm2-tiny")]
    public async Task A_prompt_tuned_stream_in_a_batch_generates_what_its_virtual_tokens_and_prompt_give(string name)
    {
        // The virtual tokens take the first positions (GPT-2: their learned position rows too), the prompt follows them,
        // fed four tokens a step beside a plain stream: the tokens are those of the two calls on one session.
        var model = DecoderModel.Load(Fixtures.Dir(name));
        var prompts = Prompts(name, 2);
        var tuning = PromptTuning.CreateRandom(4, model.Config.HiddenSize, new Random(7));
        var session = model.CreateSession(64);
        session.ForwardEmbeddings(tuning.Embeddings);
        var expected = new List<int> { Sampler.ArgMax(session.Forward(prompts[0])) };
        while (expected.Count < 10) expected.Add(Sampler.ArgMax(session.Forward([expected[^1]])));

        var generator = Generator(name, model, new BatchingOptions { PrefillTokensPerStep = 4 });
        Task<GenerationResult> tuned, plain;
        using (generator.Batcher.Hold())
        {
            tuned = generator.GenerateTextAsync(prompts[0], Greedy(10) with { PromptTuning = tuning }, Ct);
            plain = generator.GenerateTextAsync(prompts[1], Greedy(10), Ct);
        }
        Assert.Equal(expected, (await tuned).TokenIds);
        await plain;
        Assert.True(generator.Batcher.BatchedSteps >= 10, $"{generator.Batcher.BatchedSteps} batched steps");
    }

    [Fact]
    public async Task A_cancelled_stream_leaves_the_batch_and_the_others_are_unchanged()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var prompts = Prompts("qwen2-tiny", 3);
        var alone = Generator("qwen2-tiny", model);
        var expected = new List<IReadOnlyList<int>>();
        foreach (var p in prompts) expected.Add((await alone.GenerateTextAsync(p, Greedy(16), Ct)).TokenIds);

        // One stream at a time beyond the first two: the third waits for the place the cancelled one frees.
        var generator = Generator("qwen2-tiny", model, new BatchingOptions { MaxStreams = 2 });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task<GenerationResult> first, third;
        Task cancelled;
        int received = 0;
        generator.Batcher.BeforeStep = step =>
        {
            if (step == 5) cts.Cancel();
        };
        using (generator.Batcher.Hold())
        {
            first = generator.GenerateTextAsync(prompts[0], Greedy(16), Ct);
            cancelled = Consume(generator.GenerateAsync(prompts[1], Greedy(16), cts.Token), () => received++);
            third = generator.GenerateTextAsync(prompts[2], Greedy(16), Ct);
        }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.InRange(received, 0, 5);
        Assert.Equal(expected[0], (await first).TokenIds);
        Assert.Equal(expected[2], (await third).TokenIds);
        Assert.Equal(1, generator.Batcher.Dropped);
        Assert.Equal(0, generator.Batcher.Active);
    }

    [Fact]
    public async Task Seeded_sampling_in_a_batch_equals_sampling_alone()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny"));
        var prompts = Prompts("qwen3-tiny", 4);
        GenerationOptions Sampled(int i) => Greedy(10) with { Sampling = new SamplingOptions { Temperature = 1f, TopP = 0.9f, Seed = (ulong)(40 + i) } };
        var alone = Generator("qwen3-tiny", model);
        var expected = new List<IReadOnlyList<int>>();
        for (int i = 0; i < prompts.Length; i++) expected.Add((await alone.GenerateTextAsync(prompts[i], Sampled(i), Ct)).TokenIds);
        var generator = Generator("qwen3-tiny", model);
        var tasks = new Task<GenerationResult>[prompts.Length];
        using (generator.Batcher.Hold())
            for (int i = 0; i < prompts.Length; i++) tasks[i] = generator.GenerateTextAsync(prompts[i], Sampled(i), Ct);
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(expected[i], results[i].TokenIds);
    }

    [Fact]
    public void Bad_batching_options_are_one_clear_error()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var tokenizer = RagTune.Engine.Tokenizers.Tokenizer.Load(Fixtures.Dir("qwen2-tiny"));
        var e = Assert.Throws<ArgumentException>(() => new TextGenerator(model, tokenizer, [], new BatchingOptions { MaxStreams = 0 }));
        Assert.Contains("max streams must be at least 1, got 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TextGenerator(model, tokenizer, [], new BatchingOptions { PrefillTokensPerStep = -1 }));
        Assert.Contains("prefill tokens per step must be at least 1, got -1", e.Message);
    }

    private static async Task Consume(IAsyncEnumerable<GenerationUpdate> updates, Action onUpdate)
    {
        await foreach (var _ in updates) onUpdate();
    }

    private static TextGenerator Generator(string name, DecoderModel model, BatchingOptions? batching = null) =>
        new(model, RagTune.Engine.Tokenizers.Tokenizer.Load(Fixtures.Dir(name)), [], batching);
}
