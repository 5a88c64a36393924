// A deterministic bag-of-words embedder for the tests: each lower-cased word adds a fixed random direction.
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Tests.Search;

internal sealed class FakeEmbeddingGenerator(int dimensions = 32) : IEmbeddingGenerator<string, Embedding<float>>
{
    public List<string> Inputs { get; } = [];

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values)
        {
            lock (Inputs) Inputs.Add(text);
            result.Add(new Embedding<float>(Embed(text, dimensions)));
        }
        return Task.FromResult(result);
    }

    public static float[] Embed(string text, int dimensions)
    {
        var v = new float[dimensions];
        foreach (var word in text.ToLowerInvariant().Split([' ', ',', '.', '?', ':'], StringSplitOptions.RemoveEmptyEntries))
        {
            var rng = new Random(StableHash(word));
            for (int d = 0; d < dimensions; d++) v[d] += (float)(rng.NextDouble() - 0.5);
        }
        return v;
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            int h = 17;
            foreach (char c in s) h = h * 31 + c;
            return h;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
