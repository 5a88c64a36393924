// The server side of flwr.proto.FlowerService/Join: each call is one site's connection for as long as it stays in the
// federation. The call checks the site's key (when the aggregator has keys), registers the connection and then only waits;
// the round driver writes instructions and reads answers through the SiteConnection.
using Grpc.Core;
using Status = Grpc.Core.Status;
using Microsoft.Extensions.Logging;
using RagTune.Federated.Flower;

namespace RagTune.Federated.Aggregation;

internal sealed class FlowerJoinService(SiteRegistry registry, SiteKeyCheck keys, ILogger<FedAvgAggregator> logger) : FlowerService.FlowerServiceBase
{
    public override async Task Join(IAsyncStreamReader<ClientMessage> requestStream, IServerStreamWriter<ServerMessage> responseStream,
        ServerCallContext context)
    {
        string site = keys.Authenticate(context);
        var connection = new SiteConnection(site, context.Peer, requestStream, responseStream, context.CancellationToken);
        if (registry.Register(connection) is not null)
            logger.LogWarning("site '{Site}' connected again from {Peer}; its earlier connection is closed", site, context.Peer);
        else
            logger.LogInformation("site '{Site}' connected from {Peer}", site, context.Peer);
        Status status;
        try
        {
            status = await connection.Closed.ConfigureAwait(false);
        }
        finally
        {
            registry.Unregister(connection);
        }
        logger.LogInformation("site '{Site}' left ({Code}{Detail})", site, status.StatusCode, status.Detail is { Length: > 0 } d ? ": " + d : "");
        if (status.StatusCode != StatusCode.OK) throw new RpcException(status);
    }
}
