// Microsoft.Extensions.AI IChatClient over a local decoder: messages → the checkpoint's chat template → TextGenerator.
// Thread-safe without locks: the model's weights and the tokenizer are shared read-only, and every call gets its own
// DecoderSession (KV cache, scratch buffers) and sampler, so concurrent calls cannot interfere; they decode together,
// one batched pass per token for all of them (the TextGenerator's continuous batching).
// ChatOptions mapping: Temperature, TopP, TopK, Seed → sampling; MaxOutputTokens → max tokens; StopSequences → stop
// strings; Reasoning.Effort None → Qwen3 enable_thinking=false; Instructions → a system message; ModelId must name this
// model; AdditionalProperties["repetition_penalty"] → HF repetition penalty. FrequencyPenalty and PresencePenalty (OpenAI's
// additive penalties) have no counterpart in the sampler and are ignored, as are Tools and ResponseFormat (no tool calling;
// messages contribute their text only). Qwen3's leading <think> block comes back as TextReasoningContent.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Engine.Chat;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;

namespace RagTune.Engine.AI;

public sealed class LocalChatClient : IChatClient
{
    public const string ProviderName = "ragtune";

    /// <summary>ChatOptions.AdditionalProperties key for HF's repetition penalty (a number; 1 disables).</summary>
    public const string RepetitionPenaltyKey = "repetition_penalty";

    private readonly LocalChatClientOptions _options;
    private readonly int[] _stopTokenIds;
    private volatile bool _disposed;

    public LocalChatClient(TextGenerator generator, ChatTemplate template, string modelId, LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        _options = options ?? new LocalChatClientOptions();
        if (_options.DefaultMaxOutputTokens <= 0)
            throw new ArgumentException($"DefaultMaxOutputTokens must be positive, got {_options.DefaultMaxOutputTokens}", nameof(options));
        _options.DefaultSampling.Validate();
        Generator = generator;
        Template = template;
        ModelId = _options.ModelId ?? modelId;
        _stopTokenIds = [.. generator.EosTokenIds.Union(template.StopTokenIds(generator.Tokenizer))];
        Metadata = new ChatClientMetadata(ProviderName, providerUri: null, defaultModelId: ModelId);
    }

    /// <summary>Loads the checkpoint in <paramref name="modelDirectory"/> (weights, tokenizer, chat template).</summary>
    public static LocalChatClient Load(string modelDirectory, LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        // A prompt-tuning adapter folder (what `train sft --method prompt-tuning` writes) loads as its base model with the
        // virtual tokens attached, so eval, serve and the pipeline can name the adapter where they take a model.
        bool tuned = PromptTuning.IsPromptTuning(modelDirectory) && !File.Exists(Path.Combine(modelDirectory, "config.json"));
        string source = tuned ? Training.PeftAdapter.ReadBaseModel(modelDirectory) : modelDirectory;
        var generator = TextGenerator.Load(source, batching: options?.Batching);
        if (tuned)
            options = (options ?? new LocalChatClientOptions()) with { PromptTuning = PromptTuning.Load(modelDirectory, generator.Model.Config.HiddenSize) };
        var template = ChatTemplate.Load(source, generator.Tokenizer);
        return new LocalChatClient(generator, template, ModelIds.FromDirectory(modelDirectory), options);
    }

    public TextGenerator Generator { get; }
    public ChatTemplate Template { get; }
    public string ModelId { get; }
    public ChatClientMetadata Metadata { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        var thought = new System.Text.StringBuilder();
        ChatResponseUpdate? last = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            foreach (var r in update.Contents.OfType<TextReasoningContent>()) thought.Append(r.Text);
            last = update;
        }
        var final = last!;
        var contents = new List<AIContent>();
        if (thought.Length > 0) contents.Add(new TextReasoningContent(thought.ToString()));
        contents.Add(new TextContent(text.ToString()));
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents) { MessageId = final.MessageId, CreatedAt = final.CreatedAt })
        {
            ResponseId = final.ResponseId,
            ModelId = final.ModelId,
            CreatedAt = final.CreatedAt,
            FinishReason = final.FinishReason,
            Usage = final.Contents.OfType<UsageContent>().Single().Details,
        };
    }

    /// <summary>Streams text pieces as they are decoded; the last update carries the finish reason and a
    /// <see cref="UsageContent"/> (and any text that was held back until the end).</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var (promptIds, generation) = Prepare(messages, options);
        string responseId = Guid.NewGuid().ToString("N");
        var createdAt = DateTimeOffset.UtcNow;

        var reasoning = _options.SeparateReasoning && Template is Qwen3ChatTemplate ? new ReasoningSplitter() : null;
        await foreach (var update in Generator.GenerateAsync(promptIds, generation, cancellationToken).ConfigureAwait(false))
        {
            var contents = new List<AIContent>();
            AddText(contents, reasoning, update.Text, final: update.FinishReason is not null);
            if (update.FinishReason is { } reason)
            {
                var usage = update.Usage!;
                contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = usage.PromptTokens,
                    OutputTokenCount = usage.CompletionTokens,
                    TotalTokenCount = usage.TotalTokens,
                }));
                yield return NewUpdate(contents, responseId, createdAt, reason == FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length);
            }
            else if (contents.Count > 0)
                yield return NewUpdate(contents, responseId, createdAt, null);
        }
    }

    /// <summary>Adds a decoded piece as answer text, or split into reasoning and answer when a splitter is active.</summary>
    private static void AddText(List<AIContent> contents, ReasoningSplitter? splitter, string text, bool final)
    {
        if (splitter is null)
        {
            if (text.Length > 0) contents.Add(new TextContent(text));
            return;
        }
        var (thought, answer) = splitter.Add(text);
        if (final)
        {
            var (restThought, restAnswer) = splitter.Flush();
            thought += restThought;
            answer += restAnswer;
        }
        if (thought.Length > 0) contents.Add(new TextReasoningContent(thought));
        if (answer.Length > 0) contents.Add(new TextContent(answer));
    }

    private ChatResponseUpdate NewUpdate(IList<AIContent> contents, string responseId, DateTimeOffset createdAt, ChatFinishReason? finish) =>
        new(ChatRole.Assistant, contents)
        {
            ResponseId = responseId,
            MessageId = responseId,
            ModelId = ModelId,
            CreatedAt = createdAt,
            FinishReason = finish,
        };

    /// <summary>The prompt ids and generation options of one request. Reads the caller's messages and options, never
    /// writes them.</summary>
    internal (int[] PromptIds, GenerationOptions Options) Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.ModelId is { } requested && requested != ModelId)
            throw new ArgumentException($"this client serves model \"{ModelId}\"; ChatOptions.ModelId asked for \"{requested}\"", nameof(options));

        var turns = new List<ChatTurn>();
        foreach (var message in messages)
        {
            if (message is null) throw new ArgumentException("messages contains null", nameof(messages));
            turns.Add(new ChatTurn(message.Role.Value.ToLowerInvariant(), message.Text));
        }
        if (options?.Instructions is { Length: > 0 } instructions)
        {
            // Per-request instructions join the system message (after it) or become one.
            if (turns.Count > 0 && turns[0].Role == "system")
                turns[0] = turns[0] with { Content = turns[0].Content + "\n\n" + instructions };
            else
                turns.Insert(0, new ChatTurn("system", instructions));
        }

        bool? thinking = options?.Reasoning?.Effort switch
        {
            ReasoningEffort.None => false,
            null => _options.EnableThinking,
            _ => true,
        };
        string prompt = Template.Render(turns, new ChatTemplateOptions { EnableThinking = thinking });
        int[] ids = Generator.Tokenizer.Encode(prompt, addSpecialTokens: false, parseSpecial: true);

        var d = _options.DefaultSampling;
        var sampling = new SamplingOptions
        {
            Temperature = options?.Temperature ?? d.Temperature,
            TopP = options?.TopP ?? d.TopP,
            TopK = options?.TopK ?? d.TopK,
            Seed = options?.Seed is { } seed ? unchecked((ulong)seed) : d.Seed,
            RepetitionPenalty = RepetitionPenalty(options) ?? d.RepetitionPenalty,
        };
        sampling.Validate();
        var generation = new GenerationOptions
        {
            MaxTokens = options?.MaxOutputTokens ?? _options.DefaultMaxOutputTokens,
            StopTokenIds = _stopTokenIds,
            StopStrings = options?.StopSequences is { } stops ? [.. stops] : [],
            Sampling = sampling,
            Adapters = _options.Adapters,
            PromptTuning = _options.PromptTuning,
        };
        if (generation.MaxTokens <= 0) throw new ArgumentException($"MaxOutputTokens must be positive, got {generation.MaxTokens}", nameof(options));
        return (ids, generation);
    }

    private static float? RepetitionPenalty(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } props || !props.TryGetValue(RepetitionPenaltyKey, out object? value) || value is null) return null;
        return value switch
        {
            float f => f,
            double x => (float)x,
            int i => i,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e => e.GetSingle(),
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{RepetitionPenaltyKey}\"] is {value.GetType().Name}, expected a number", nameof(options)),
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return Metadata;
        if (serviceType == typeof(ChatTemplate)) return Template;
        if (serviceType == typeof(TextGenerator)) return Generator;
        if (serviceType == typeof(Models.AdapterSet)) return _options.Adapters;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Further calls throw ObjectDisposedException. The weights are managed arrays (the checkpoint file is
    /// closed after loading), so there is nothing else to release; calls already running finish normally.</summary>
    public void Dispose() => _disposed = true;
}
