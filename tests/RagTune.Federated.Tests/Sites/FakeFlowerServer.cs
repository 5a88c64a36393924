// A Flower server for tests: FlowerService/Join in ASP.NET Core on a loopback port (h2c), driven by the test one
// instruction at a time — AskAsync sends a ServerMessage on the open stream and returns the site's ClientMessage. It also
// records the site-key header each Join carried.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Federated.Flower;
using RagTune.Federated.Sites;

namespace RagTune.Federated.Tests.Sites;

internal sealed class FakeFlowerServer : FlowerService.FlowerServiceBase, IAsyncDisposable
{
    private readonly Channel<(ServerMessage Message, TaskCompletionSource<ClientMessage> Reply)> _instructions = Channel.CreateUnbounded<(ServerMessage, TaskCompletionSource<ClientMessage>)>();
    private WebApplication? _app;

    public List<string?> SiteKeys { get; } = [];

    public string Address { get; private set; } = "";

    /// <summary>Listens on a free loopback port: h2c, or TLS with <paramref name="certificate"/> (which must hold its key).</summary>
    public static async Task<FakeFlowerServer> StartAsync(X509Certificate2? certificate = null)
    {
        var server = new FakeFlowerServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            o.Protocols = HttpProtocols.Http2;
            if (certificate is not null) o.UseHttps(certificate);
        }));
        builder.Services.AddGrpc(o => { o.MaxReceiveMessageSize = null; o.MaxSendMessageSize = null; });
        builder.Services.AddSingleton(server);
        server._app = builder.Build();
        server._app.MapGrpcService<FakeFlowerServer>();
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // "localhost:PORT": a TLS certificate names the host, not 127.0.0.1.
        server.Address = $"localhost:{new Uri(address).Port}";
        return server;
    }

    /// <summary>Sends <paramref name="message"/> on the site's stream and waits for its answer (DisconnectRes for ReconnectIns);
    /// when <paramref name="site"/> (the site's run) ends first, its exception or result is the failure.</summary>
    public async Task<ClientMessage> AskAsync(ServerMessage message, Task site, CancellationToken cancellationToken)
    {
        var ask = AskAsync(message, cancellationToken);
        if (await Task.WhenAny(ask, site) == site)
        {
            // After DisconnectRes the site may finish a moment before the answer is handed over here.
            await site;
            if (await Task.WhenAny(ask, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)) != ask)
                throw new InvalidOperationException($"the site stopped before answering {message.MsgCase}");
        }
        return await ask;
    }

    private async Task<ClientMessage> AskAsync(ServerMessage message, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<ClientMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _instructions.Writer.WriteAsync((message, reply), cancellationToken);
        return await reply.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
    }

    public override async Task Join(IAsyncStreamReader<ClientMessage> requestStream, IServerStreamWriter<ServerMessage> responseStream, ServerCallContext context)
    {
        SiteKeys.Add(context.RequestHeaders.GetValue(FederatedSiteOptions.SiteKeyHeader));
        while (await _instructions.Reader.WaitToReadAsync(context.CancellationToken))
        {
            var (message, reply) = await _instructions.Reader.ReadAsync(context.CancellationToken);
            try
            {
                await responseStream.WriteAsync(message, context.CancellationToken);
                if (!await requestStream.MoveNext(context.CancellationToken))
                {
                    reply.SetException(new InvalidOperationException("the site closed the stream without answering"));
                    return;
                }
            }
            catch (Exception e)
            {
                reply.TrySetException(e);
                throw;
            }
            reply.SetResult(requestStream.Current);
            if (message.MsgCase == ServerMessage.MsgOneofCase.ReconnectIns)
            {
                // Flower's server waits for the client to close its side after DisconnectRes.
                bool more = await requestStream.MoveNext(context.CancellationToken);
                if (more) throw new InvalidOperationException("the site kept writing after DisconnectRes");
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _instructions.Writer.TryComplete();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
