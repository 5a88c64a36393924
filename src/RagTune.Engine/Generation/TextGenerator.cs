// Text generation with a local decoder: prefill the prompt, then sample one token at a time over the KV cache,
// streaming decoded text pieces. The model and tokenizer are shared and read-only; each call has its own session and
// sampler, and concurrent calls are stepped together by the generator's DecodeBatcher (one pass for all of them).
using System.Runtime.CompilerServices;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Generation;

public sealed class TextGenerator
{
    public DecoderModel Model { get; }
    public ITokenizer Tokenizer { get; }

    /// <summary>The model's end-of-sequence ids: generation_config.json, config.json and the tokenizer's EOS.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    public TextGenerator(DecoderModel model, ITokenizer tokenizer, IEnumerable<int> eosTokenIds, BatchingOptions? batching = null)
    {
        Model = model;
        Tokenizer = tokenizer;
        EosTokenIds = eosTokenIds.Distinct().ToArray();
        Batching = batching ?? new BatchingOptions();
        _batcher = new Lazy<DecodeBatcher>(() => new DecodeBatcher(Model, Batching));
        Batching.Validate();
    }

    /// <summary>How concurrent generations share the model: how many decode together, the prompt tokens per step.</summary>
    public BatchingOptions Batching { get; }

    private readonly Lazy<DecodeBatcher> _batcher;

    /// <summary>The scheduler that steps every generation of this generator.</summary>
    internal DecodeBatcher Batcher => _batcher.Value;

    /// <summary>Loads model, tokenizer and EOS ids from <paramref name="directory"/> (or a GGUF file); weight matrices in <paramref name="format"/>.</summary>
    public static TextGenerator Load(string directory, WeightFormat format = WeightFormat.Checkpoint, BatchingOptions? batching = null)
    {
        var model = DecoderModel.Load(directory, format);
        var tokenizer = Tokenizers.Tokenizer.Load(directory);
        var eos = new List<int>(ReadGenerationConfigEos(directory));
        eos.AddRange(model.Config.EosTokenIds);
        if (tokenizer.EosId is { } id) eos.Add(id);
        return new TextGenerator(model, tokenizer, eos, batching);
    }

    private static int[] ReadGenerationConfigEos(string directory)
    {
        if (!Directory.Exists(directory)) return [];   // a GGUF file: its end-of-generation ids are in the model's config
        string path = Path.Combine(directory, "generation_config.json");
        if (!File.Exists(path)) return [];
        using var doc = Models.JsonFields.ParseFile(path);
        return new Models.JsonFields(doc.RootElement, path).IntList("eos_token_id");
    }

    /// <summary>Tokenises a prompt as HF does by default: special tokens in the text are recognised, and the
    /// post-processor's tokens (e.g. LLaMA's BOS) are added.</summary>
    public int[] EncodePrompt(string prompt) => Tokenizer.Encode(prompt, addSpecialTokens: true, parseSpecial: true);

    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(string prompt, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
        => GenerateAsync(EncodePrompt(prompt), options, cancellationToken);

    /// <summary>Streams the continuation of <paramref name="promptIds"/>. Concurrent calls on one generator decode
    /// together (continuous batching, see <see cref="Batching"/>), each with its own KV cache, sampler, stop conditions
    /// and adapters; cancelling one frees its place before the next step.</summary>
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sequence = new GenerationSequence(this, promptIds, options ?? new GenerationOptions());
        cancellationToken.ThrowIfCancellationRequested();
        await foreach (var update in Batcher.RunAsync(sequence, cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>Generates to the end and returns the whole text.</summary>
    public async Task<GenerationResult> GenerateTextAsync(IReadOnlyList<int> promptIds, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        var ids = new List<int>();
        await foreach (var update in GenerateAsync(promptIds, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            if (update.TokenId is { } id) ids.Add(id);
            if (update.FinishReason is { } reason)
                return new GenerationResult(text.ToString(), ids, reason, update.Usage!);
        }
        throw new InvalidOperationException("generation ended without a final update");
    }
}
