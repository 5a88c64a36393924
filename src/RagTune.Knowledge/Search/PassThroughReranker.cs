// The identity reranker: keeps the fused order (the default until a cross-encoder is configured).
namespace RagTune.Knowledge.Search;

public sealed class PassThroughReranker : IReranker
{
    public static readonly PassThroughReranker Instance = new();

    public Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(hits);
    }
}
