// One sequence running through a DecoderModel: the KV cache, the RoPE tables for its positions, the LoRA adapters it
// applies (its own: the model is shared and never changed), and every scratch buffer, all allocated once here so prefill
// and decoding allocate nothing per token.
namespace RagTune.Engine.Models;

public sealed class DecoderSession
{
    public DecoderModel Model { get; }
    public KvCache Cache { get; }

    /// <summary>The LoRA adapters every projection of this sequence applies, or null for the base model.</summary>
    public AdapterSet? Adapters { get; }

    /// <summary>The most tokens one forward call processes at once; longer prompts run in chunks.</summary>
    public int Chunk { get; }

    private readonly ActivationBuffers _buffers;    // scratch for up to Chunk rows
    internal float[] X => _buffers.X;
    internal float[] H => _buffers.H;
    internal float[] Q => _buffers.Q;
    internal float[] K => _buffers.K;
    internal float[] V => _buffers.V;
    internal float[] Att => _buffers.Att;
    internal float[] Gate => _buffers.Gate;
    internal float[] Up => _buffers.Up;
    internal float[] Qkv => _buffers.Qkv;
    internal DecoderBatch Pass { get; }              // the layer stack over this session's chunks, in its buffers
    internal float[] Scores;                        // [Capacity]
    internal float[] Cos, Sin;                      // [Capacity, D/2]
    internal Kernels.MatVecOperand[][] Operands;    // [L][7] the fused decode's q, k, v, o, gate, up, down with Adapters
    internal Kernels.MatVecOperand LmHeadOperand;
    private readonly float[] _lastLogits;           // [V]

    internal DecoderSession(DecoderModel model, int capacity, int chunk, AdapterSet? adapters)
    {
        var c = model.Config;
        if (chunk <= 0) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk must be positive");
        adapters?.CheckFits(model.LayerLinears.Append(model.LmHead), $"the model of {c.Path}");
        Model = model;
        Adapters = adapters;
        Operands = [.. Enumerable.Range(0, c.NumHiddenLayers).Select(l => model.LayerOperands(l, adapters))];
        LmHeadOperand = model.LmHeadOperand(adapters);
        Chunk = chunk;
        Cache = new KvCache(c.NumHiddenLayers, c.NumKeyValueHeads, c.HeadDim, capacity);
        _buffers = new ActivationBuffers(c, chunk);
        Pass = new DecoderBatch(model, _buffers, maxEntries: 1);
        Scores = new float[capacity];
        Cos = new float[capacity * c.HeadDim / 2];
        Sin = new float[capacity * c.HeadDim / 2];
        Kernels.Rope.BuildTables(model.InverseFrequencies, capacity, Cos, Sin);
        _lastLogits = new float[c.VocabSize];
    }

    /// <summary>Positions filled so far.</summary>
    public int Length => Cache.Length;

    /// <summary>Appends tokens (a prompt, or one generated token) and returns the logits [V] after the last one.
    /// The span is valid until the next call.</summary>
    public ReadOnlySpan<float> Forward(scoped ReadOnlySpan<int> ids)
    {
        Reserve(ids.Length);
        // Only the last chunk's last row needs logits: the chunks before it only fill the cache (no lm_head, [V, C]).
        int last = (ids.Length - 1) / Chunk * Chunk;
        RunLayers(ids[..last]);
        Model.Forward(this, ids[last..], _lastLogits, allRows: false);
        return _lastLogits;
    }

    /// <summary>Appends tokens without computing logits: a prompt part that more of the prompt follows, whose
    /// next-token distribution nobody reads (the scheduler's prefill parts before the last).</summary>
    internal void Prefill(ReadOnlySpan<int> ids)
    {
        Reserve(ids.Length);
        RunLayers(ids);
    }

    /// <summary>The layer stack over <paramref name="ids"/> chunk by chunk (the call is readied): the cache grows, no logits.</summary>
    private void RunLayers(ReadOnlySpan<int> ids)
    {
        for (int i = 0; i < ids.Length; i += Chunk)
            Pass.RunLayers(this, ids.Slice(i, Math.Min(Chunk, ids.Length - i)));
    }

    /// <summary>Appends rows of input embeddings [T, C] in place of tokens — prompt tuning's virtual tokens, which PEFT
    /// puts before the prompt, so the prompt's positions follow them. No logits.</summary>
    public void ForwardEmbeddings(ReadOnlySpan<float> embeddings)
    {
        int c = Model.Config.HiddenSize;
        if (embeddings.Length % c != 0)
            throw new ArgumentException($"embeddings hold {embeddings.Length} floats, not whole rows of the hidden size {c}");
        int rows = embeddings.Length / c;
        Reserve(rows);
        for (int i = 0; i < rows; i += Chunk)
            Pass.RunLayers(this, default, embeddings.Slice(i * c, Math.Min(Chunk, rows - i) * c));
    }

    /// <summary>Appends tokens and writes the logits of every one of them: <paramref name="logits"/> [T, V].</summary>
    public void ForwardAll(ReadOnlySpan<int> ids, Span<float> logits)
    {
        int v = Model.Config.VocabSize;
        if (logits.Length < (long)ids.Length * v)
            throw new ArgumentException($"logits holds {logits.Length} floats, need {ids.Length}x{v}");
        Reserve(ids.Length);
        for (int i = 0; i < ids.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, ids.Length - i);
            Model.Forward(this, ids.Slice(i, n), logits.Slice(i * v, n * v), allRows: true);
        }
    }

    /// <summary>Appends tokens and writes the final-normed hidden state of every one of them (the bare decoder's
    /// last_hidden_state, what decoder embedders pool): <paramref name="hidden"/> [T, C].</summary>
    public void ForwardHidden(ReadOnlySpan<int> ids, Span<float> hidden)
    {
        int c = Model.Config.HiddenSize;
        if (hidden.Length < (long)ids.Length * c)
            throw new ArgumentException($"hidden holds {hidden.Length} floats, need {ids.Length}x{c}");
        Reserve(ids.Length);
        for (int i = 0; i < ids.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, ids.Length - i);
            Model.ForwardHidden(this, ids.Slice(i, n), hidden.Slice(i * c, n * c));
        }
    }

    /// <summary>Forgets the sequence; buffers are kept for the next one.</summary>
    public void Reset()
    {
        Cache.Clear();
        _callNext = -1;
    }

    // A call readied ahead by ReserveCall and run in parts: the position its next part starts at (-1: none) and its end.
    private int _callNext = -1, _callEnd;

    /// <summary>Checks that <paramref name="count"/> more tokens fit, and readies the RoPE rows of the call (which, with dynamic
    /// NTK scaling, depend on the length the whole call reaches — as one transformers forward over them, whatever the chunk).
    /// Tokens that are the next part of a call readied by <see cref="ReserveCall"/> keep that call's rows.</summary>
    internal void Reserve(int count)
    {
        CheckRoom(count);
        if (Cache.Length == _callNext && Cache.Length + count <= _callEnd)
        {
            _callNext += count;
            return;
        }
        _callNext = -1;
        Model.PrepareRope(Cache.Length, count, Cos, Sin);
    }

    /// <summary>Readies one call of <paramref name="count"/> tokens that will run in parts, each its own forward (a prompt
    /// prefilled chunk by chunk between other sessions' decode steps): the parts compute what the call at once would.</summary>
    internal void ReserveCall(int count)
    {
        CheckRoom(count);
        Model.PrepareRope(Cache.Length, count, Cos, Sin);
        _callNext = Cache.Length;
        _callEnd = Cache.Length + count;
    }

    private void CheckRoom(int count)
    {
        if (count == 0) throw new ArgumentException("no tokens to run");
        if (Cache.Length + count > Cache.Capacity)
            throw new EngineException(
                $"sequence of {Cache.Length + count} tokens exceeds this session's capacity of {Cache.Capacity} positions");
    }
}
