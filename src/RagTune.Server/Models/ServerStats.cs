// Counters of chat requests (running, completed, cancelled by a client disconnect), for tests and the info endpoint.
namespace RagTune.Server.Models;

public sealed class ServerStats
{
    private int _active, _completed, _cancelled;

    public int Active => Volatile.Read(ref _active);
    public int CompletedCount => Volatile.Read(ref _completed);
    public int CancelledCount => Volatile.Read(ref _cancelled);

    internal void Started() => Interlocked.Increment(ref _active);
    internal void Ended() => Interlocked.Decrement(ref _active);
    internal void Completed() => Interlocked.Increment(ref _completed);
    internal void Cancelled() => Interlocked.Increment(ref _cancelled);
}
