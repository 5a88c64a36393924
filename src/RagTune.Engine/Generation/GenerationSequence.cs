// One generation request between decode steps: its session (KV cache, LoRA adapters), sampler, streaming detokenizer,
// stop conditions, counts and clocks. The scheduler (DecodeBatcher) feeds its prompt in chunks, then one token per step;
// each time logits come back, Sample picks the token and Accept turns it into the updates the caller streams.
using System.Diagnostics;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Generation;

internal sealed class GenerationSequence
{
    private readonly DecoderModel _model;
    private readonly Sampler _sampler;
    private readonly IStreamingDecoder _decoder;
    private readonly StopStringMatcher _stops;
    private readonly HashSet<int> _stopIds;
    private readonly int _maxTokens;
    private readonly int[] _next = new int[1];
    private readonly Stopwatch _clock = new();
    private TimeSpan _prefillTime;
    private int _generated;

    /// <summary>Checks the request and allocates its session (capacity: virtual tokens + prompt + the tokens it may generate).</summary>
    public GenerationSequence(TextGenerator generator, IReadOnlyList<int> promptIds, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        if (promptIds.Count == 0) throw new ArgumentException("the prompt has no tokens", nameof(promptIds));
        if (options.MaxTokens <= 0) throw new ArgumentException($"max tokens must be positive, got {options.MaxTokens}");
        _model = generator.Model;
        // Prompt tuning's virtual tokens take the first positions; the prompt follows them.
        int virtualTokens = options.PromptTuning?.NumVirtualTokens ?? 0;
        int maxPositions = _model.Config.ContextLength - virtualTokens;
        if (promptIds.Count >= maxPositions)
            throw new EngineException($"the prompt has {promptIds.Count} tokens{(virtualTokens > 0 ? $" after {virtualTokens} virtual tokens" : "")}; the model's context is {_model.Config.ContextLength} positions");
        if (options.PromptTuning is { } tuning && tuning.TokenDim != _model.Config.HiddenSize)
            throw new EngineException($"the prompt-tuning adapter's token_dim is {tuning.TokenDim}, the model's hidden size is {_model.Config.HiddenSize}");
        _maxTokens = Math.Min(options.MaxTokens, maxPositions - promptIds.Count);
        _stopIds = new HashSet<int>(options.StopTokenIds ?? generator.EosTokenIds);
        _sampler = new Sampler(_model.Config.VocabSize, options.Sampling);
        Session = _model.CreateSession(virtualTokens + promptIds.Count + _maxTokens, adapters: options.Adapters);
        // Prompt tuning's virtual tokens run here, as their own call on this session alone (a few rows); the prompt is one
        // forward after them however the scheduler splits it (dynamic NTK RoPE rotates it for its whole length).
        if (options.PromptTuning is { } virtualRows) Session.ForwardEmbeddings(virtualRows.Embeddings);
        Session.ReserveCall(promptIds.Count);
        _decoder = generator.Tokenizer.CreateStreamingDecoder(skipSpecialTokens: !options.IncludeSpecialTokens);
        _stops = new StopStringMatcher(options.StopStrings);
        Prompt = [.. promptIds];
        _sampler.Observe(Prompt);
    }

    public DecoderSession Session { get; }

    public int[] Prompt { get; }

    /// <summary>Prompt tokens already in the cache.</summary>
    public int Prefilled { get; private set; }

    public bool InPrefill => Prefilled < Prompt.Length;

    /// <summary>Set once the final update has been made.</summary>
    public bool Finished { get; private set; }

    /// <summary>The tokens the next step runs for this sequence: up to <paramref name="budget"/> prompt tokens while
    /// prefilling, else the token sampled last.</summary>
    public ReadOnlyMemory<int> NextIds(int budget)
    {
        if (!InPrefill) return _next;
        if (Prefilled == 0) _clock.Start();
        return Prompt.AsMemory(Prefilled, Math.Min(budget, Prompt.Length - Prefilled));
    }

    /// <summary>Whether running <paramref name="ids"/> (from <see cref="NextIds"/>) gives logits that <see cref="Accept"/>
    /// reads: false for a prompt part that more of the prompt follows.</summary>
    public bool NeedsLogits(ReadOnlyMemory<int> ids) => !InPrefill || Prefilled + ids.Length >= Prompt.Length;

    /// <summary>After a step ran <paramref name="ids"/> (from <see cref="NextIds"/>): true when its logits are the next
    /// token's, i.e. the prompt is done.</summary>
    public bool Ran(ReadOnlyMemory<int> ids)
    {
        if (!InPrefill) return true;
        Prefilled += ids.Length;
        return !InPrefill;
    }

    /// <summary>Picks the next token from the step's logits [V] and adds the updates it makes to <paramref name="updates"/>:
    /// its text (unless it is a stop id), then the final update when it ends the generation. NaN logits are a damaged
    /// checkpoint: the error names its tensor.</summary>
    public void Accept(ReadOnlySpan<float> logits, List<GenerationUpdate> updates)
    {
        int token;
        try
        {
            token = _sampler.Sample(logits);
        }
        catch (EngineException)
        {
            throw _model.NonFiniteError($"the logits of generated token {_generated + 1}");
        }
        if (_generated++ == 0)
        {
            _prefillTime = _clock.Elapsed;
            _clock.Restart();
        }
        if (_stopIds.Contains(token))
        {
            Finish(updates, FinishReason.Stop, token);
            return;
        }
        updates.Add(new GenerationUpdate(_stops.Add(_decoder.Add(token)), token));
        if (_stops.Stopped) Finish(updates, FinishReason.Stop, null);
        else if (_generated == _maxTokens) Finish(updates, FinishReason.Length, null);
        _next[0] = token;
    }

    private void Finish(List<GenerationUpdate> updates, FinishReason finish, int? stopToken)
    {
        var usage = new GenerationUsage(Prompt.Length, _generated, _prefillTime, _clock.Elapsed);
        string rest = _stops.Stopped ? "" : _stops.Add(_decoder.Flush()) + _stops.Flush();
        updates.Add(new GenerationUpdate(rest, stopToken, finish, usage));
        Finished = true;
    }
}
