// Generation end to end on the tiny fixtures: greedy equals the PyTorch continuation, sampling is reproducible by seed,
// top-k = 1 is greedy, stop strings and stop tokens end the text, the stream concatenates to the decoded ids.
using RagTune.Engine.Generation;
using RagTune.Engine.Tests.Models;
using Xunit;

namespace RagTune.Engine.Tests.Generation;

public class TextGeneratorTests
{
    private static readonly TextGenerator Qwen2 = TextGenerator.Load(Fixtures.Dir("qwen2-tiny"));

    private static (int[] Prompt, int[] Greedy, string Text) Golden(string name = "qwen2-tiny")
    {
        var g = Fixtures.Golden(name);
        return (g.GetProperty("prompt_ids").Ints(), g.GetProperty("greedy_ids").Ints(), g.GetProperty("greedy_text").GetString()!);
    }

    private static GenerationOptions Options(SamplingOptions? sampling = null, int maxTokens = 24, IReadOnlyList<string>? stops = null) =>
        new() { Sampling = sampling ?? new(), MaxTokens = maxTokens, StopTokenIds = [], StopStrings = stops ?? [] };

    [Theory]
    [MemberData(nameof(DecoderGoldenTests.Decoders), MemberType = typeof(DecoderGoldenTests))]
    public async Task Greedy_generation_equals_the_golden_continuation(string name)
    {
        var (prompt, greedy, _) = Golden(name);
        var generator = TextGenerator.Load(Fixtures.Dir(name));
        var result = await generator.GenerateTextAsync(prompt, Options(maxTokens: greedy.Length), TestContext.Current.CancellationToken);
        Assert.Equal(greedy, result.TokenIds);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(new[] { prompt.Length, greedy.Length }, new[] { result.Usage.PromptTokens, result.Usage.CompletionTokens });
    }

    [Fact]
    public async Task Streamed_text_is_the_decoded_ids()
    {
        var (prompt, greedy, text) = Golden();
        var pieces = new List<string>();
        await foreach (var u in Qwen2.GenerateAsync(prompt, Options(), TestContext.Current.CancellationToken))
            pieces.Add(u.Text);
        Assert.Equal(text, string.Concat(pieces));
        Assert.Equal(Qwen2.Tokenizer.Decode(greedy), string.Concat(pieces));
    }

    [Fact]
    public async Task Top_k_one_is_greedy_whatever_the_temperature()
    {
        var (prompt, greedy, _) = Golden();
        var result = await Qwen2.GenerateTextAsync(prompt, Options(new SamplingOptions { Temperature = 1.5f, TopK = 1, Seed = 5 }),
            TestContext.Current.CancellationToken);
        Assert.Equal(greedy, result.TokenIds);
    }

    [Fact]
    public async Task Seeded_sampling_is_reproducible()
    {
        var (prompt, greedy, _) = Golden();
        async Task<IReadOnlyList<int>> Run(ulong seed) => (await Qwen2.GenerateTextAsync(prompt,
            Options(new SamplingOptions { Temperature = 1f, TopP = 0.95f, TopK = 50, Seed = seed }), TestContext.Current.CancellationToken)).TokenIds;
        var a = await Run(1234);
        Assert.Equal(a, await Run(1234));
        Assert.NotEqual(a, await Run(4321));
        Assert.NotEqual(greedy, a);
    }

    [Fact]
    public async Task A_stop_string_ends_the_text_just_before_it()
    {
        var (prompt, _, text) = Golden();
        string stop = text.Substring(text.Length / 2, 3);
        var result = await Qwen2.GenerateTextAsync(prompt, Options(stops: [stop]), TestContext.Current.CancellationToken);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], result.Text);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
    }

    [Fact]
    public async Task A_stop_token_ends_generation_without_being_decoded()
    {
        var (prompt, greedy, _) = Golden();
        var options = Options() with { StopTokenIds = [greedy[5]] };
        var result = await Qwen2.GenerateTextAsync(prompt, options, TestContext.Current.CancellationToken);
        int at = Array.IndexOf(greedy, greedy[5]);
        Assert.Equal(greedy[..(at + 1)], result.TokenIds);
        Assert.Equal(Qwen2.Tokenizer.Decode(greedy[..at]), result.Text);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(at + 1, result.Usage.CompletionTokens);
    }

    [Fact]
    public void Eos_ids_come_from_generation_config_config_and_tokenizer()
    {
        // generation_config.json: [<|im_end|>, <|endoftext|>]; config.json: <|endoftext|>.
        Assert.Equal([508, 506], Qwen2.EosTokenIds);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        var (prompt, _, _) = Golden();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Qwen2.GenerateAsync(prompt, Options(), cts.Token))
                cts.Cancel();
        });
    }
}
