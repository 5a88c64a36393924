// Decorator that prepends a model's instruction prefix (query or passage side) before embedding.
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Embeddings;

/// <summary>
/// One instance embeds one side: use <see cref="ForQueries"/> for the search route and <see cref="ForPassages"/> when
/// indexing, so asymmetric models (bge, e5) see the text the way they were trained.
/// </summary>
public sealed class PrefixedEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    public PrefixedEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, string prefix) : base(inner)
    {
        Prefix = prefix ?? throw new ArgumentNullException(nameof(prefix));
    }

    public string Prefix { get; }

    public static IEmbeddingGenerator<string, Embedding<float>> ForQueries(IEmbeddingGenerator<string, Embedding<float>> inner, EmbeddingPrompts prompts) =>
        Wrap(inner, prompts.Query);

    public static IEmbeddingGenerator<string, Embedding<float>> ForPassages(IEmbeddingGenerator<string, Embedding<float>> inner, EmbeddingPrompts prompts) =>
        Wrap(inner, prompts.Passage);

    // An empty prefix needs no decorator.
    private static IEmbeddingGenerator<string, Embedding<float>> Wrap(IEmbeddingGenerator<string, Embedding<float>> inner, string prefix)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return prefix.Length == 0 ? inner : new PrefixedEmbeddingGenerator(inner, prefix);
    }

    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return base.GenerateAsync(values.Select(v => Prefix + v), options, cancellationToken);
    }
}
