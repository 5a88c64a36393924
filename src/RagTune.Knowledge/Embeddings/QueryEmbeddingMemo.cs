// Caches the embedding of a query for the length of one search, so that hierarchical search's document and chunk dense
// routes embed the query once.
using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Embeddings;

/// <remarks>Not to be disposed: it does not own the generator it wraps.</remarks>
internal sealed class QueryEmbeddingMemo(IEmbeddingGenerator<string, Embedding<float>> inner)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly ConcurrentDictionary<string, Task<GeneratedEmbeddings<Embedding<float>>>> _done = new(StringComparer.Ordinal);

    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values as IReadOnlyList<string> ?? values.ToList();
        if (list.Count != 1 || options is not null) return base.GenerateAsync(list, options, cancellationToken);
        return _done.GetOrAdd(list[0], query => base.GenerateAsync([query], null, cancellationToken));
    }
}
