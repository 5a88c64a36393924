// Several sessions' new tokens through the decoder in one pass (continuous batching). The rows of every session are
// stacked into one activation [N, C], so each projection is one product over N rows — from 4 rows the cache-blocked GEMM
// (any weight format that has one: f32, bf16, Q8_0, GGUF blocks widened), which streams the weights once per step
// instead of once per stream — and each session's own LoRA adapter is added on its own rows (the base product is shared,
// the low-rank terms are per row). Everything position-dependent runs per session: GPT-2's learned position rows, RoPE
// (with dynamic NTK, each session's tables for the length its call reaches), the cache write and attention over its own
// KV cache — the one-token rows of decoding streams together in one worker-pool dispatch, a prefill chunk on the whole pool.
// The layer itself is DecoderModel's for every architecture: packed or separate q/k/v, RMSNorm or biased LayerNorm,
// SwiGLU or GPT-2's gelu MLP.
// Letters as in DecoderModel; N rows in this pass, E sessions (entries).
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Models;

/// <summary>One session's part of a batched pass: <paramref name="Ids"/> are its next tokens (a prompt chunk, or the one
/// token it sampled last), appended at positions Session.Length...</summary>
internal readonly record struct BatchEntry(DecoderSession Session, ReadOnlyMemory<int> Ids);

internal sealed class DecoderBatch
{
    private readonly DecoderModel _model;
    private readonly ActivationBuffers _buffers;                       // scratch for up to MaxRows rows
    private readonly float[] _last;                                    // [E, C] each entry's last row, normed
    private readonly int[] _first;                                     // [E] first row of each entry
    private readonly DecodeAttention _decodeAttention = new();

    public DecoderBatch(DecoderModel model, int maxRows, int maxEntries)
        : this(model, new ActivationBuffers(model.Config, Math.Max(1, maxRows)), maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
    }

    /// <summary>A pass in <paramref name="buffers"/>: a session's own (its prefill chunks run as a pass of one entry).</summary>
    internal DecoderBatch(DecoderModel model, ActivationBuffers buffers, int maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        _model = model;
        MaxEntries = maxEntries;
        _buffers = buffers;
        _last = new float[maxEntries * model.Config.HiddenSize];
        _first = new int[maxEntries];
    }

    /// <summary>Rows (tokens over all entries) one pass takes at most.</summary>
    public int MaxRows => _buffers.Rows;

    /// <summary>Sessions one pass takes at most.</summary>
    public int MaxEntries { get; }

    /// <summary>Runs every entry's tokens, appends them to its session's cache and writes the logits after each entry's
    /// last token: <paramref name="logits"/> [E, V], row e for entries[e]. Each entry is one call of its session (its
    /// RoPE rows readied for it), or the next part of a call readied before (<see cref="DecoderSession.ReserveCall"/>).</summary>
    public void Forward(IReadOnlyList<BatchEntry> entries, Span<float> logits)
    {
        int E = entries.Count, C = _model.Config.HiddenSize, V = _model.Config.VocabSize;
        if (logits.Length < (long)E * V) throw new ArgumentException($"logits holds {logits.Length} floats, need {E}x{V}");
        foreach (var (s, ids) in entries) s.Reserve(ids.Length);
        RunLayers(entries);
        var x = _buffers.X.AsSpan();

        // logits = lm_head(norm(x)) of each entry's last row, one row per entry
        var last = _last.AsSpan(0, E * C);
        for (int e = 0; e < E; e++)
            x.Slice((_first[e] + entries[e].Ids.Length - 1) * C, C).CopyTo(last.Slice(e * C, C));
        _model.ApplyNorm(last, _model.Norm, _model.NormBias, last);
        Multiply(_model.LmHead.Weight, _model.LmHead.Bias, last, logits[..(E * V)], E, E);
        for (int e = 0; e < E; e++)
            entries[e].Session.Adapters?.For(_model.LmHead)?.AddTo(last.Slice(e * C, C), logits.Slice(e * V, V), 1);
    }

    private readonly BatchEntry[] _one = new BatchEntry[1];
    private int[] _ids = [];

    /// <summary>The layer stack on one session's T ≤ MaxRows new tokens (or rows of <paramref name="embeddings"/> [T, C]
    /// given instead of ids: prompt tuning's virtual tokens) at positions cache.Length..: leaves the residual stream in the
    /// buffers' X [T, C] and appends them to the cache (DecoderModel's prefill path; the session has readied the call).</summary>
    public void RunLayers(DecoderSession s, ReadOnlySpan<int> ids, ReadOnlySpan<float> embeddings = default)
    {
        int T = embeddings.IsEmpty ? ids.Length : embeddings.Length / _model.Config.HiddenSize;
        if (_ids.Length < T) _ids = new int[MaxRows];
        if (embeddings.IsEmpty) ids.CopyTo(_ids);
        else _ids.AsSpan(0, T).Clear();   // placeholders: the rows come from embeddings
        _one[0] = new BatchEntry(s, _ids.AsMemory(0, T));
        RunLayers(_one, embeddings);
    }

    /// <summary>The layer stack on the stacked rows of every entry: leaves the residual stream in the buffers' X [N, C]
    /// (entry e's rows from _first[e]) and appends each entry's tokens to its session's cache. <paramref name="embeddings"/>,
    /// when given, are the input rows of a single entry in place of its ids' embedding rows.</summary>
    private void RunLayers(IReadOnlyList<BatchEntry> entries, ReadOnlySpan<float> embeddings = default)
    {
        var cfg = _model.Config;
        int E = entries.Count, C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim;
        int I = cfg.IntermediateSize, V = cfg.VocabSize;
        float eps = (float)cfg.RmsNormEps;
        if (E == 0 || E > MaxEntries) throw new ArgumentException($"a batched pass takes 1..{MaxEntries} sessions, got {E}");
        int N = 0;
        for (int e = 0; e < E; e++)
        {
            var (s, ids) = entries[e];
            if (s.Model != _model) throw new ArgumentException($"entry {e}: the session belongs to another model");
            if (ids.IsEmpty) throw new ArgumentException($"entry {e}: no tokens to run");
            if (_model.PositionEmbeddings is not null && s.Cache.Length + ids.Length > cfg.MaxPositionEmbeddings)
                throw new EngineException($"position {s.Cache.Length + ids.Length - 1} is beyond the {cfg.MaxPositionEmbeddings} learned positions of {cfg.Path} "
                    + "(n_positions): the sequence is too long for this model");
            _first[e] = N;
            N += ids.Length;
        }
        if (N > MaxRows) throw new ArgumentException($"a batched pass takes at most {MaxRows} tokens, got {N}");

        var x = _buffers.X.AsSpan(0, N * C);              // [N, C] residual stream
        var h = _buffers.H.AsSpan(0, N * C);              // [N, C] normed input / sublayer output
        var q = _buffers.Q.AsSpan(0, N * H * D);          // [N, H·D]
        var k = _buffers.K.AsSpan(0, N * KV * D);         // [N, KV·D]
        var v = _buffers.V.AsSpan(0, N * KV * D);         // [N, KV·D]
        var att = _buffers.Att.AsSpan(0, N * H * D);      // [N, H·D]
        var gate = _buffers.Gate.AsSpan(0, N * I);        // [N, I]
        var up = _buffers.Up.AsSpan(0, N * I);            // [N, I]

        // inputs_embeds = embed_tokens(input_ids) (+ wpe(position) for GPT-2, at each session's own positions), entry after entry
        for (int e = 0; e < E; e++)
        {
            var ids = entries[e].Ids.Span;
            int start = entries[e].Session.Cache.Length;
            for (int t = 0; t < ids.Length; t++)
            {
                if ((uint)ids[t] >= (uint)V)
                    throw new EngineException($"token id {ids[t]} is outside the vocabulary of {V} ({cfg.Path})");
                var row = x.Slice((_first[e] + t) * C, C);
                if (embeddings.IsEmpty) _model.EmbedTokens.ReadRow(ids[t], row);
                else embeddings.Slice(t * C, C).CopyTo(row);
                if (_model.PositionEmbeddings is { } wpe)
                {
                    var position = h.Slice((_first[e] + t) * C, C);
                    wpe.ReadRow(start + t, position);
                    TensorPrimitives.Add(row, position, row);
                }
            }
        }

        for (int l = 0; l < _model.Layers.Count; l++)
        {
            var layer = _model.Layers[l];
            // --- self-attention block: x = x + o_proj(attn(rope(q), rope(k), v)) on input_layernorm(x)
            _model.ApplyNorm(x, layer.InputLayerNorm, layer.InputNormBias, h);
            if (layer.QkvProj is { } qkv)
            {
                var packed = _buffers.Qkv.AsSpan(0, N * qkv.OutFeatures);  // [N, (H + 2·KV)·D]
                Project(qkv, h, packed, N, entries);
                cfg.QkvLayout!.Unpack(packed, q, k, v, N);
            }
            else
            {
                Project(layer.QProj!, h, q, N, entries);
                Project(layer.KProj!, h, k, N, entries);
                Project(layer.VProj!, h, v, N, entries);
            }
            if (layer.QNorm is not null)
            {
                RmsNorm.Forward(q, layer.QNorm, eps, q);   // per head: rows of D
                RmsNorm.Forward(k, layer.KNorm, eps, k);
            }
            for (int e = 0; e < E; e++)
            {
                var s = entries[e].Session;
                int r0 = _first[e], T = entries[e].Ids.Length, start = s.Cache.Length;
                if (_model.PositionEmbeddings is null)
                {
                    Rope.Apply(q.Slice(r0 * H * D, T * H * D), T, H, D, start, s.Cos, s.Sin);
                    Rope.Apply(k.Slice(r0 * KV * D, T * KV * D), T, KV, D, start, s.Cos, s.Sin);
                }
                s.Cache.Write(l, k.Slice(r0 * KV * D, T * KV * D), v.Slice(r0 * KV * D, T * KV * D), start, T);
            }
            Attend(l, entries);
            Project(layer.OProj, att, h, N, entries);
            TensorPrimitives.Add(x, h, x);

            // --- MLP block: x = x + down_proj(silu(gate_proj(h)) * up_proj(h)), h = post_attention_layernorm(x);
            //     GPT-2: x = x + c_proj(gelu_new(c_fc(h)))
            _model.ApplyNorm(x, layer.PostAttentionLayerNorm, layer.PostNormBias, h);
            if (layer.GateProj is { } gateProj)
            {
                Project(gateProj, h, gate, N, entries);
                Project(layer.UpProj, h, up, N, entries);
                Activations.SiluMul(gate, up, WorkerPool.Shared);
                Project(layer.DownProj, gate, h, N, entries);
            }
            else
            {
                Project(layer.UpProj, h, up, N, entries);
                Activations.GeluTanh(up);
                Project(layer.DownProj, up, h, N, entries);
            }
            TensorPrimitives.Add(x, h, x);
        }
        for (int e = 0; e < E; e++) entries[e].Session.Cache.Length += entries[e].Ids.Length;
    }

    /// <summary>y [N, Out] = x [N, In] · Wᵀ + b for all rows at once, then each entry's adapter for this projection on
    /// its own rows (what <see cref="Linear.Forward"/> does for one session).</summary>
    private void Project(Linear linear, ReadOnlySpan<float> x, Span<float> y, int rows, IReadOnlyList<BatchEntry> entries)
    {
        Multiply(linear.Weight, linear.Bias, x, y, rows, entries.Count);
        int inF = linear.InFeatures, outF = linear.OutFeatures;
        for (int e = 0; e < entries.Count; e++)
            if (entries[e].Session.Adapters?.For(linear) is { } adapter)
            {
                int r0 = _first[e], T = entries[e].Ids.Length;
                adapter.AddTo(x.Slice(r0 * inF, T * inF), y.Slice(r0 * outF, T * outF), T);
            }
    }

    /// <summary>y [rows, Out] = x · Wᵀ + b. The rows of several sessions' decode steps (2–8 rows) go through the
    /// few-rows kernels (<see cref="MatVecBatch.Multiply"/>: each weight read once for all of them; the GEMM packs W
    /// first, which costs more at this size); a prompt chunk, and a session's own pass, as <see cref="WeightMatrix.Multiply"/>
    /// does it (so a session alone computes what it always did).</summary>
    private static void Multiply(WeightMatrix w, float[]? bias, ReadOnlySpan<float> x, Span<float> y, int rows, int entries)
    {
        if (entries > 1 && rows is >= 2 and <= MatVecBatch.MaxRows) MatVecBatch.Multiply(w, bias, x, y, rows);
        else w.Multiply(x, bias, y, rows);
    }

    /// <summary>Attention of every entry over its own cache at layer <paramref name="l"/>: the one-row entries (decoding)
    /// together in one dispatch, split by entry; each longer entry (a prompt chunk) on the whole pool.</summary>
    private void Attend(int l, IReadOnlyList<BatchEntry> entries)
    {
        var cfg = _model.Config;
        int H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim, rowWidth = H * D;
        _decodeAttention.Clear();
        for (int e = 0; e < entries.Count; e++)
        {
            var s = entries[e].Session;
            int T = entries[e].Ids.Length, start = s.Cache.Length, r0 = _first[e];
            var shape = new AttentionShape(T, H, KV, D, s.Cache.Capacity, start, start + T, Causal: true);
            if (T == 1) _decodeAttention.Add(s, l, r0, shape);
            else Attention.Forward(_buffers.Q.AsSpan(r0 * rowWidth, T * rowWidth), s.Cache.Keys(l), s.Cache.Values(l),
                _buffers.Att.AsSpan(r0 * rowWidth, T * rowWidth), s.Scores, shape);
        }
        if (_decodeAttention.Count == 0) return;
        _decodeAttention.Q = _buffers.Q;
        _decodeAttention.Output = _buffers.Att;
        _decodeAttention.RowWidth = rowWidth;
        if (_decodeAttention.Count == 1) _decodeAttention.Execute(0, 1);
        else WorkerPool.Shared.Run(_decodeAttention);
    }

    /// <summary>The one-token entries of a pass, each attending over its own cache; a part takes a share of the entries
    /// and runs each one's heads on its own thread (Attention.Forward, nested in a dispatch, runs inline with the
    /// session's score scratch).</summary>
    private sealed class DecodeAttention : IParallelWork
    {
        private readonly List<(DecoderSession Session, int Layer, int Row, AttentionShape Shape)> _items = [];
        public float[] Q = [], Output = [];
        public int RowWidth;

        public int Count => _items.Count;

        public void Clear() => _items.Clear();

        public void Add(DecoderSession s, int layer, int row, AttentionShape shape) => _items.Add((s, layer, row, shape));

        public void Execute(int part, int parts)
        {
            var (first, end) = WorkerPool.Share(_items.Count, part, parts);
            for (int i = first; i < end; i++)
            {
                var (s, l, row, shape) = _items[i];
                Attention.Forward(Q.AsSpan(row * RowWidth, RowWidth), s.Cache.Keys(l), s.Cache.Values(l),
                    Output.AsSpan(row * RowWidth, RowWidth), s.Scores, shape);
            }
        }
    }
}
