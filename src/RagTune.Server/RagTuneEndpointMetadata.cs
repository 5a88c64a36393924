// Marks the endpoints MapRagTune maps, so RagTune's error, API-key and CORS middleware apply to them and to nothing else.
namespace RagTune.Server;

public sealed class RagTuneEndpointMetadata
{
    public static RagTuneEndpointMetadata Instance { get; } = new();

    private RagTuneEndpointMetadata() { }
}
