// Text generation with a local decoder: prefill the prompt, then sample one token at a time over the KV cache,
// streaming decoded text pieces. The model and tokenizer are shared and read-only; each call has its own session and
// sampler, so concurrent calls are safe.
using System.Diagnostics;
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

    public TextGenerator(DecoderModel model, ITokenizer tokenizer, IEnumerable<int> eosTokenIds)
    {
        Model = model;
        Tokenizer = tokenizer;
        EosTokenIds = eosTokenIds.Distinct().ToArray();
    }

    /// <summary>Loads model, tokenizer and EOS ids from <paramref name="directory"/> (or a GGUF file); weight matrices in <paramref name="format"/>.</summary>
    public static TextGenerator Load(string directory, WeightFormat format = WeightFormat.Checkpoint)
    {
        var model = DecoderModel.Load(directory, format);
        var tokenizer = Tokenizers.Tokenizer.Load(directory);
        var eos = new List<int>(ReadGenerationConfigEos(directory));
        eos.AddRange(model.Config.EosTokenIds);
        if (tokenizer.EosId is { } id) eos.Add(id);
        return new TextGenerator(model, tokenizer, eos);
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

    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        ArgumentNullException.ThrowIfNull(promptIds);
        if (promptIds.Count == 0) throw new ArgumentException("the prompt has no tokens", nameof(promptIds));
        if (options.MaxTokens <= 0) throw new ArgumentException($"max tokens must be positive, got {options.MaxTokens}");
        // Prompt tuning's virtual tokens take the first positions; the prompt follows them.
        int virtualTokens = options.PromptTuning?.NumVirtualTokens ?? 0;
        int maxPositions = Model.Config.ContextLength - virtualTokens;
        if (promptIds.Count >= maxPositions)
            throw new EngineException($"the prompt has {promptIds.Count} tokens{(virtualTokens > 0 ? $" after {virtualTokens} virtual tokens" : "")}; the model's context is {Model.Config.ContextLength} positions");
        int maxTokens = Math.Min(options.MaxTokens, maxPositions - promptIds.Count);
        var stopIds = new HashSet<int>(options.StopTokenIds ?? EosTokenIds);
        var sampler = new Sampler(Model.Config.VocabSize, options.Sampling);
        var session = Model.CreateSession(virtualTokens + promptIds.Count + maxTokens, adapters: options.Adapters);
        var decoder = Tokenizer.CreateStreamingDecoder(skipSpecialTokens: !options.IncludeSpecialTokens);
        var stops = new StopStringMatcher(options.StopStrings);
        int[] prompt = [.. promptIds];
        sampler.Observe(prompt);

        // The work is synchronous CPU compute: leave the caller's context once, then run to the end on the pool.
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        if (options.PromptTuning is { } promptTuning)
        {
            if (promptTuning.TokenDim != Model.Config.HiddenSize)
                throw new EngineException($"the prompt-tuning adapter's token_dim is {promptTuning.TokenDim}, the model's hidden size is {Model.Config.HiddenSize}");
            session.ForwardEmbeddings(promptTuning.Embeddings);
        }
        int next = Next(prompt, 1);
        var prefill = clock.Elapsed;
        clock.Restart();
        int generated = 1;
        var finish = FinishReason.Length;
        int? stopToken = null;
        var one = new int[1];
        while (true)
        {
            if (stopIds.Contains(next))
            {
                finish = FinishReason.Stop;
                stopToken = next;
                break;
            }
            string text = stops.Add(decoder.Add(next));
            yield return new GenerationUpdate(text, next);
            if (stops.Stopped)
            {
                finish = FinishReason.Stop;
                break;
            }
            if (generated == maxTokens) break;
            cancellationToken.ThrowIfCancellationRequested();
            one[0] = next;
            next = Next(one, ++generated);
        }
        var usage = new GenerationUsage(prompt.Length, generated, prefill, clock.Elapsed);
        string rest = stops.Stopped ? "" : stops.Add(decoder.Flush()) + stops.Flush();
        yield return new GenerationUpdate(rest, stopToken, finish, usage);

        // The step's logits are checked by the sampler; NaN there is a damaged checkpoint, named with its tensor.
        int Next(int[] ids, int token)
        {
            var logits = session.Forward(ids);
            try
            {
                return sampler.Sample(logits);
            }
            catch (EngineException)
            {
                throw Model.NonFiniteError($"the logits of generated token {token}");
            }
        }
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
