// A scripted Flower client for the aggregator's tests: it joins over Grpc.Net.Client speaking transport.proto, records every
// instruction it receives and answers with what the test's handler returns (null: never answer, as a hung site).
using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using RagTune.Federated.Flower;

namespace RagTune.Federated.Tests.Aggregation;

internal sealed class FakeSite : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<ClientMessage, ServerMessage> _call;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<ServerMessage, CancellationToken, Task<ClientMessage?>> _answer;

    private FakeSite(string name, GrpcChannel channel, AsyncDuplexStreamingCall<ClientMessage, ServerMessage> call,
        Func<ServerMessage, CancellationToken, Task<ClientMessage?>> answer)
    {
        Name = name;
        _channel = channel;
        _call = call;
        _answer = answer;
        Loop = Task.Run(RunAsync);
    }

    public string Name { get; }

    /// <summary>Every instruction received, in order.</summary>
    public ConcurrentQueue<ServerMessage> Received { get; } = new();

    /// <summary>Ends when the server closes the stream: with its status, or null when it ended cleanly.</summary>
    public Task<RpcException?> Loop { get; }

    /// <summary>Joins <paramref name="address"/>; <paramref name="handler"/> (optional) configures the channel (TLS).</summary>
    public static FakeSite Join(string name, string address, Func<ServerMessage, CancellationToken, Task<ClientMessage?>> answer,
        string? siteKey = null, HttpMessageHandler? handler = null)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        var headers = new Metadata();
        if (siteKey is not null) headers.Add(RagTune.Federated.Aggregation.SiteKeys.HeaderName, siteKey);
        var call = new FlowerService.FlowerServiceClient(channel).Join(headers);
        return new FakeSite(name, channel, call, answer);
    }

    private async Task<RpcException?> RunAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(_stop.Token))
            {
                var instruction = _call.ResponseStream.Current;
                Received.Enqueue(instruction);
                if (instruction.MsgCase == ServerMessage.MsgOneofCase.ReconnectIns)
                {
                    await _call.RequestStream.WriteAsync(new ClientMessage
                    {
                        DisconnectRes = new ClientMessage.Types.DisconnectRes { Reason = Reason.Ack },
                    });
                    await _call.RequestStream.CompleteAsync();
                    continue;
                }
                var reply = await _answer(instruction, _stop.Token);
                // null: a hung site, which keeps its stream open and never answers (the next read sees how the server ends it).
                if (reply is not null) await _call.RequestStream.WriteAsync(reply);
            }
            return null;
        }
        catch (RpcException ex)
        {
            return ex;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _call.Dispose();
        try
        {
            await Loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
        _channel.Dispose();
        _stop.Dispose();
    }
}

/// <summary>The sites of one test, disconnected together at its end.</summary>
internal sealed class FakeSites : List<FakeSite>, IAsyncDisposable
{
    public FakeSites() { }

    public FakeSites(IEnumerable<FakeSite> sites) : base(sites) { }

    public async ValueTask DisposeAsync()
    {
        foreach (var site in this) await site.DisposeAsync();
    }
}
