// Fills a vector index from passages: embeds them in batches with the passage-side embedder, then upserts each vector.
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Dense;

public static class VectorIndexing
{
    /// <summary>
    /// Embeds <paramref name="passages"/> in batches of <paramref name="batchSize"/> and upserts them. With
    /// <paramref name="textMetadataKey"/> set, the text is also stored in the metadata under that key, so the dense route
    /// can hand it to a reranker. <paramref name="progress"/> receives the number of passages indexed so far.
    /// Returns the number indexed.
    /// </summary>
    public static async Task<int> UpsertPassagesAsync(this IVectorIndex index, IEmbeddingGenerator<string, Embedding<float>> passageEmbedder,
        IEnumerable<DensePassage> passages, int batchSize = 64, string? textMetadataKey = "text", IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(passageEmbedder);
        ArgumentNullException.ThrowIfNull(passages);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int done = 0;
        foreach (var batch in passages.Chunk(batchSize))
        {
            var embeddings = await passageEmbedder.GenerateAsync(batch.Select(p => p.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (embeddings.Count != batch.Length)
                throw new KnowledgeException($"indexing: the embedding generator returned {embeddings.Count} vectors for {batch.Length} passages, expected one each.");
            for (int i = 0; i < batch.Length; i++)
            {
                var p = batch[i];
                var metadata = p.Metadata;
                if (textMetadataKey is not null)
                {
                    var withText = metadata is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
                    withText[textMetadataKey] = p.Text;
                    metadata = withText;
                }
                index.Upsert(p.Id, embeddings[i].Vector.Span, metadata);
            }
            done += batch.Length;
            progress?.Report(done);
        }
        return done;
    }
}
