// A bounded queue in front of one model: at most N generations run, at most Q wait; the next one is refused with 429.

namespace RagTune.Server.Models;

public sealed class ModelGate
{
    private readonly SemaphoreSlim _running;
    private readonly int _capacity;
    private readonly int _retryAfterSeconds;
    private int _admitted;

    public ModelGate(string modelName, int maxConcurrent, int maxQueue, int retryAfterSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueue);
        ModelName = modelName;
        _running = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        _capacity = maxConcurrent + maxQueue;
        _retryAfterSeconds = retryAfterSeconds;
    }

    public string ModelName { get; }

    /// <summary>Requests running or waiting.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Waits for a slot; throws a 429 <see cref="ApiException"/> at once when the queue is full.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _admitted) > _capacity)
        {
            Interlocked.Decrement(ref _admitted);
            throw new ApiException(429, $"model '{ModelName}' is busy: {_capacity} requests are running or queued; retry later",
                "rate_limit_error", "model_overloaded") { RetryAfterSeconds = _retryAfterSeconds };
        }
        try
        {
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            throw;
        }
        return new Slot(this);
    }

    private sealed class Slot(ModelGate gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            gate._running.Release();
            Interlocked.Decrement(ref gate._admitted);
        }
    }
}
