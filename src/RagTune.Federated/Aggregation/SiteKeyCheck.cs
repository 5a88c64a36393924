// Who is calling: with a keys file, the site the x-ragtune-site-key header belongs to (else the call ends UNAUTHENTICATED,
// naming neither the key given nor any site); without one, the caller's peer address, as Flower names its clients.
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace RagTune.Federated.Aggregation;

internal sealed class SiteKeyCheck(SiteKeys? keys, ILogger<FedAvgAggregator> logger)
{
    public string Authenticate(ServerCallContext context)
    {
        if (keys is null) return context.Peer;
        string? given = context.RequestHeaders.GetValue(SiteKeys.HeaderName);
        if (keys.FindSite(given) is { } site) return site;
        logger.LogWarning("refused a connection from {Peer}: {Reason}", context.Peer, given is null ? "no site key" : "unknown site key");
        throw new RpcException(new Status(StatusCode.Unauthenticated,
            given is null ? $"this aggregator requires a site key in the '{SiteKeys.HeaderName}' header" : "the site key is not accepted"));
    }
}
