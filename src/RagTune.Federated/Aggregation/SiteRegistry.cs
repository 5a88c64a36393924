// The connected sites (Flower's SimpleClientManager): Join registers a connection for the life of its stream, the round
// driver waits for enough of them and samples from those still open.
namespace RagTune.Federated.Aggregation;

internal sealed class SiteRegistry
{
    private readonly object _lock = new();
    private readonly Dictionary<string, SiteConnection> _sites = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Grpc.Core.Status? _stopped;

    /// <summary>Adds a connection. A site that connects again (it restarted, or its old stream has not yet been noticed
    /// as dead) replaces its earlier connection, which is closed: one site, one vote per round.</summary>
    public SiteConnection? Register(SiteConnection connection)
    {
        SiteConnection? replaced;
        lock (_lock)
        {
            if (_stopped is { } stopped)
            {
                connection.Close(stopped);
                return null;
            }
            _sites.TryGetValue(connection.Site, out replaced);
            _sites[connection.Site] = connection;
            Signal();
        }
        replaced?.Close(new Grpc.Core.Status(Grpc.Core.StatusCode.Aborted, "replaced by a newer connection of the same site"));
        return replaced;
    }

    public void Unregister(SiteConnection connection)
    {
        lock (_lock)
        {
            if (_sites.TryGetValue(connection.Site, out var current) && ReferenceEquals(current, connection))
            {
                _sites.Remove(connection.Site);
                Signal();
            }
        }
    }

    /// <summary>The open connections, ordered by site name.</summary>
    public IReadOnlyList<SiteConnection> Open()
    {
        lock (_lock) return _sites.Values.Where(c => c.IsOpen).OrderBy(c => c.Site, StringComparer.Ordinal).ToList();
    }

    /// <summary>Waits until at least <paramref name="count"/> sites are connected.</summary>
    public async Task WaitForAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_sites.Values.Count(c => c.IsOpen) >= count) return;
                changed = _changed.Task;
            }
            // A closed connection leaves the list when its Join call ends, which signals too.
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes every connection, and any that registers later, with <paramref name="status"/> (the aggregator is stopping).</summary>
    public void CloseAll(Grpc.Core.Status status)
    {
        List<SiteConnection> all;
        lock (_lock)
        {
            _stopped = status;
            all = [.. _sites.Values];
        }
        foreach (var c in all) c.Close(status);
    }

    private void Signal()
    {
        _changed.TrySetResult();
        _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
