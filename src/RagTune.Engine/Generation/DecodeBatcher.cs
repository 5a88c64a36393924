// Continuous batching for one model: every generation in flight is stepped together by one scheduler thread. A step
// runs one token of every stream that is decoding plus up to PrefillTokensPerStep prompt tokens of the streams still
// prefilling (oldest first), as one batched pass (DecoderBatch: one product per projection over all rows), then samples
// each stream whose logits came back with its own sampler. Streams join and leave between steps: a new request waits
// at most one step; one that ends, fails or is cancelled frees its place at once for the next in line.
// A step with a single stream takes the single-session path (the fused decode kernels), so one request alone computes
// exactly what it did before batching existed. The scheduler thread runs only while there is work.
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using RagTune.Engine.Models;

namespace RagTune.Engine.Generation;

internal sealed class DecodeBatcher
{
    private readonly DecoderModel _model;
    private readonly BatchingOptions _options;
    private readonly Lock _lock = new();
    private readonly Queue<Stream> _waiting = new();
    private readonly List<Stream> _active = [];
    private bool _running;
    private int _holds;

    // Used by the scheduler thread only.
    private readonly List<Stream> _step = [];      // admitted streams
    private readonly List<Stream> _ran = [];       // those in this step's pass, in entry order
    private readonly List<BatchEntry> _entries = [];
    private readonly List<GenerationUpdate> _updates = [];
    private DecoderBatch? _batch;
    private float[] _logits = [];

    /// <param name="options">already validated (TextGenerator checks them when it is built).</param>
    public DecodeBatcher(DecoderModel model, BatchingOptions options)
    {
        _model = model;
        _options = options;
    }

    /// <summary>Streams decoding or prefilling now.</summary>
    public int Active
    {
        get { lock (_lock) return _active.Count; }
    }

    /// <summary>Streams queued behind the active ones (or behind a <see cref="Hold"/>).</summary>
    public int Waiting
    {
        get { lock (_lock) return _waiting.Count; }
    }

    /// <summary>Steps run so far, and how many of them ran more than one stream: what tests and benchmarks read.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    public long BatchedSteps => Interlocked.Read(ref _batchedSteps);

    /// <summary>Streams removed before their end because they were cancelled or abandoned.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _steps, _batchedSteps, _dropped;

    /// <summary>Called on the scheduler thread before each step with the number of steps run so far (tests use it to
    /// join or cancel streams at a known step).</summary>
    internal Action<long>? BeforeStep { get; set; }

    /// <summary>Queues the sequence and streams its updates as the scheduler makes them. Cancelling
    /// <paramref name="cancellationToken"/> (or abandoning the enumeration) removes it before the next step.</summary>
    public async IAsyncEnumerable<GenerationUpdate> RunAsync(GenerationSequence sequence,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = new Stream(sequence);
        // Cancellation marks the stream at once (the scheduler drops it before its next step), not when the reader wakes.
        using var registration = cancellationToken.Register(static s => ((Stream)s!).Cancelled = true, stream);
        lock (_lock)
        {
            _waiting.Enqueue(stream);
            StartIfIdle();
        }
        try
        {
            var reader = stream.Updates.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                while (reader.TryRead(out var item))
                {
                    // Updates made ahead of the reader are not handed out once the caller has cancelled.
                    cancellationToken.ThrowIfCancellationRequested();
                    item.Error?.Throw();
                    yield return item.Update!;
                }
        }
        finally
        {
            stream.Cancelled = true;
        }
    }

    /// <summary>Keeps the scheduler from starting until the returned handle is disposed, so that requests queued
    /// meanwhile join its first step together (what tests use to make a batch deterministic).</summary>
    internal IDisposable Hold()
    {
        lock (_lock) _holds++;
        return new Release(this);
    }

    private sealed class Release(DecodeBatcher batcher) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            lock (batcher._lock)
            {
                batcher._holds--;
                batcher.StartIfIdle();
            }
        }
    }

    // Under _lock.
    private void StartIfIdle()
    {
        if (_running || _holds > 0 || _waiting.Count == 0) return;
        _running = true;
        _ = Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Loop()
    {
        while (true)
        {
            BeforeStep?.Invoke(Steps);
            lock (_lock)
            {
                _active.RemoveAll(s => s.Sequence.Finished || s.Failed);
                Interlocked.Add(ref _dropped, _active.RemoveAll(s => s.Cancelled));
                while (_active.Count < _options.MaxStreams && _waiting.TryDequeue(out var next))
                    if (!next.Cancelled) _active.Add(next);
                    else Interlocked.Increment(ref _dropped);
                if (_active.Count == 0)
                {
                    _running = false;
                    return;
                }
                _step.Clear();
                _step.AddRange(_active);
            }
            try
            {
                Step();
            }
            catch (Exception ex)
            {
                // A failure of the pass itself (not of one stream's sampling): every stream in it ends with the error
                // (their caches may hold part of the step).
                var error = ExceptionDispatchInfo.Capture(ex);
                foreach (var s in _ran) s.Fail(error);
            }
        }
    }

    /// <summary>One step over the streams in <see cref="_step"/>: prompt chunks within the budget, one token for each
    /// decoding stream, one pass, then sampling.</summary>
    private void Step()
    {
        _entries.Clear();
        _ran.Clear();
        int budget = _options.PrefillTokensPerStep;
        foreach (var s in _step)
        {
            if (s.Sequence.InPrefill && budget == 0) continue;
            var ids = s.Sequence.NextIds(budget);
            if (s.Sequence.InPrefill) budget -= ids.Length;
            s.Ids = ids;
            _ran.Add(s);
            _entries.Add(new BatchEntry(s.Sequence.Session, ids));
        }
        int v = _model.Config.VocabSize;
        Interlocked.Increment(ref _steps);
        if (_entries.Count == 1)
        {
            // Alone: the session's own path, chunked prefill and the fused single-token decode; a prompt part that more
            // of the prompt follows only fills the cache (its logits would be thrown away).
            var (session, ids) = _entries[0];
            if (!_ran[0].Sequence.NeedsLogits(ids))
            {
                session.Prefill(ids.Span);
                Finish(_ran[0], default);
                return;
            }
            Finish(_ran[0], session.Forward(ids.Span));
            return;
        }
        Interlocked.Increment(ref _batchedSteps);
        _batch ??= new DecoderBatch(_model, _options.PrefillTokensPerStep + _options.MaxStreams, _options.MaxStreams);
        if (_logits.Length < _entries.Count * v) _logits = new float[_options.MaxStreams * v];
        _batch.Forward(_entries, _logits);
        for (int e = 0; e < _ran.Count; e++) Finish(_ran[e], _logits.AsSpan(e * v, v));
    }

    /// <summary>After the pass: samples the stream if its logits are a next token's and hands its updates over.</summary>
    private void Finish(Stream s, ReadOnlySpan<float> logits)
    {
        if (!s.Sequence.Ran(s.Ids)) return;
        _updates.Clear();
        try
        {
            s.Sequence.Accept(logits, _updates);
        }
        catch (Exception ex)
        {
            s.Fail(ExceptionDispatchInfo.Capture(ex));
            return;
        }
        foreach (var u in _updates) s.Updates.Writer.TryWrite(new Item(u, null));
        if (s.Sequence.Finished) s.Updates.Writer.TryComplete();
    }

    private readonly record struct Item(GenerationUpdate? Update, ExceptionDispatchInfo? Error);

    private sealed class Stream(GenerationSequence sequence)
    {
        public GenerationSequence Sequence { get; } = sequence;
        public Channel<Item> Updates { get; } = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public volatile bool Cancelled;
        public bool Failed;
        public ReadOnlyMemory<int> Ids;

        /// <summary>Ends the stream with <paramref name="error"/>, rethrown to its reader; the scheduler drops it.</summary>
        public void Fail(ExceptionDispatchInfo error)
        {
            Failed = true;
            Updates.Writer.TryWrite(new Item(null, error));
            Updates.Writer.TryComplete();
        }
    }
}
