// One connected site as the aggregator sees it (Flower's GrpcClientProxy + GrpcBridge): the open Join stream, on which the
// server writes one ServerMessage and then waits for the ClientMessage that answers it, one instruction at a time.
using Grpc.Core;
using Status = Grpc.Core.Status;
using RagTune.Federated.Flower;

namespace RagTune.Federated.Aggregation;

/// <remarks>
/// A site that does not answer within the timeout is dropped the way Flower drops it: its stream ends with
/// DEADLINE_EXCEEDED, because a late answer could no longer be matched to its instruction. A broken stream, a site that
/// closes its side, or an answer of the wrong kind likewise ends the connection; the site may connect again.
/// </remarks>
internal sealed class SiteConnection
{
    private readonly IAsyncStreamReader<ClientMessage> _replies;
    private readonly IServerStreamWriter<ServerMessage> _instructions;
    private readonly CancellationToken _callAborted;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TaskCompletionSource<Status> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();

    public SiteConnection(string site, string peer, IAsyncStreamReader<ClientMessage> replies, IServerStreamWriter<ServerMessage> instructions,
        CancellationToken callAborted)
    {
        Site = site;
        Peer = peer;
        _replies = replies;
        _instructions = instructions;
        _callAborted = callAborted;
        callAborted.Register(() => Close(new Status(StatusCode.Cancelled, "the site disconnected")));
    }

    /// <summary>The site's name: from the keys file, or its peer address when the aggregator has no keys.</summary>
    public string Site { get; }

    /// <summary>The transport address (ipv4:127.0.0.1:50123), as Flower names a client.</summary>
    public string Peer { get; }

    public bool IsOpen => !_closed.Task.IsCompleted;

    /// <summary>Completes with the status the Join call should end with once the connection is closed.</summary>
    public Task<Status> Closed => _closed.Task;

    public void Close(Status status)
    {
        if (_closed.TrySetResult(status)) _closing.Cancel();
    }

    /// <summary>Sends <paramref name="instruction"/> and returns the site's answer, which must be of kind
    /// <paramref name="expected"/>; a <see cref="FederatedException"/> (the connection then closed) when the site fails.</summary>
    public async Task<ClientMessage> RequestAsync(ServerMessage instruction, ClientMessage.MsgOneofCase expected, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsOpen) throw new FederatedException($"site '{Site}' is no longer connected");
            using var timer = new CancellationTokenSource(timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token, _closing.Token);
            try
            {
                await _instructions.WriteAsync(instruction, linked.Token).ConfigureAwait(false);
                if (!await _replies.MoveNext(linked.Token).ConfigureAwait(false))
                {
                    Close(new Status(StatusCode.OK, ""));
                    throw new FederatedException($"site '{Site}' closed its stream instead of answering {instruction.MsgCase}");
                }
                var reply = _replies.Current;
                if (reply.MsgCase != expected)
                {
                    Close(new Status(StatusCode.InvalidArgument, $"expected a {expected} answering {instruction.MsgCase}, got {reply.MsgCase}"));
                    throw new FederatedException($"site '{Site}' answered {instruction.MsgCase} with {reply.MsgCase}; expected {expected}");
                }
                return reply;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Close(new Status(StatusCode.Cancelled, "the aggregator stopped"));
                throw;
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested && IsOpen)
            {
                // Flower's servicer aborts the call the same way: the instruction is void, a late answer is never read.
                Close(new Status(StatusCode.DeadlineExceeded, $"Timeout of {timeout.TotalSeconds:0.###}sec was exceeded."));
                throw new FederatedException($"site '{Site}' did not answer {instruction.MsgCase} within {timeout.TotalSeconds:0.###} s");
            }
            catch (OperationCanceledException)
            {
                Close(new Status(StatusCode.Cancelled, "the site disconnected"));
                throw new FederatedException($"site '{Site}' disconnected during {instruction.MsgCase}");
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or RpcException)
            {
                Close(new Status(StatusCode.Unavailable, "the stream broke"));
                throw new FederatedException($"site '{Site}' failed during {instruction.MsgCase}: {ex.Message}", ex);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
