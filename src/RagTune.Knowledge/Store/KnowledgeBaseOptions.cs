// The settings a knowledge base is created with, saved as kb.json in its directory so every later open (and every query)
// chunks, tokenises, analyses and embeds exactly as the ingestion did.
using System.Text.Json.Serialization;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Store;

public sealed record KnowledgeBaseOptions
{
    /// <summary>Chunk sizes in tokens, coarsest first (node groups with parent links), and the overlap at every level.</summary>
    public HierarchicalChunkingOptions Chunking { get; init; } = new() { Levels = [1024, 256, 128], OverlapTokens = 32 };

    /// <summary>Levels that go into the search indexes; null indexes the finest level only (match fine, return parents).</summary>
    public IReadOnlyList<int>? IndexedLevels { get; init; }

    /// <summary>A model folder whose tokenizer counts chunk tokens (exact sizes for that model); null uses
    /// <see cref="Text.ApproximateTokenCounter"/>.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>BM25 parameters and the analyzer (jieba dictionary or bigrams, stop words) for documents and queries.</summary>
    public Bm25Options Lexical { get; init; } = new();

    /// <summary>Which files of a folder are ingested and how JSON/PDF/HTML are read.</summary>
    public DocumentReaderOptions Reader { get; init; } = new();

    public EmbeddingSettings Embedding { get; init; } = new();

    public VectorIndexSettings VectorIndex { get; init; } = new();

    public FusionSettings Fusion { get; init; } = new();

    /// <summary>The reranker searches use when they ask for reranking; null: none recorded (knowledge bases made before
    /// rerankers were recorded read as null too).</summary>
    public RerankerSettings? Reranker { get; init; }

    /// <summary>The document-level route that hierarchical search ranks documents with, built as documents are added;
    /// null: none (such a base cannot search hierarchically, and one made before this field reads as null).</summary>
    public DocumentRouteSettings? DocumentRoute { get; init; }

    /// <summary>The levels indexed for search, resolved against <see cref="Chunking"/>.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> ResolvedIndexedLevels => IndexedLevels ?? [Chunking.Levels.Count - 1];

    internal void Validate(string source)
    {
        try
        {
            Chunking.Validate();
        }
        catch (KnowledgeException e)
        {
            throw new KnowledgeException($"{source}: {e.Message}", e);
        }
        foreach (var level in ResolvedIndexedLevels)
            if (level < 0 || level >= Chunking.Levels.Count)
                throw new KnowledgeException($"{source}: indexed level {level} does not exist; expected 0..{Chunking.Levels.Count - 1} (one per chunking level)");
        if (ResolvedIndexedLevels.Count == 0)
            throw new KnowledgeException($"{source}: indexed_levels is empty; expected at least one chunking level to index");
        Embedding.Validate(source);
        Reranker?.Validate(source);
        DocumentRoute?.Validate(source, Embedding);
    }
}

public enum EmbeddingKind
{
    /// <summary>No dense route: BM25 only.</summary>
    None,
    /// <summary>An OpenAI-compatible /v1/embeddings server (OpenAI, Ollama, vLLM).</summary>
    OpenAI,
    /// <summary>A local engine model folder; the caller supplies the generator when opening the knowledge base.</summary>
    Local,
}

public sealed record EmbeddingSettings
{
    public EmbeddingKind Kind { get; init; } = EmbeddingKind.None;

    /// <summary>OpenAI: base address with the version path (http://localhost:11434/v1); null means api.openai.com.</summary>
    public string? Endpoint { get; init; }

    /// <summary>OpenAI: the server's model name; Local: a display name (defaults to the folder name).</summary>
    public string? Model { get; init; }

    /// <summary>Local: the model folder.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>OpenAI: requested output size for models that can shorten; null leaves it to the server.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Instruction prefixes; null picks them from the model (see <see cref="Embeddings.EmbeddingPrompts.Resolve"/>).</summary>
    public string? QueryPrompt { get; init; }

    public string? PassagePrompt { get; init; }

    /// <summary>Passages per embedding call during ingestion.</summary>
    public int BatchSize { get; init; } = 64;

    public string ApiKeyEnvironmentVariable { get; init; } = "OPENAI_API_KEY";

    internal void Validate(string source)
    {
        if (BatchSize < 1) throw new KnowledgeException($"{source}: embedding.batch_size is {BatchSize}; expected at least 1");
        if (Kind == EmbeddingKind.OpenAI && string.IsNullOrWhiteSpace(Model))
            throw new KnowledgeException($"{source}: embedding.kind is OpenAI but embedding.model is empty; expected the server's model name");
        if (Kind == EmbeddingKind.Local && string.IsNullOrWhiteSpace(ModelDirectory) && string.IsNullOrWhiteSpace(Model))
            throw new KnowledgeException($"{source}: embedding.kind is Local but neither embedding.model_directory nor embedding.model is set; expected the local model folder");
        if (Endpoint is not null && !Uri.TryCreate(Endpoint, UriKind.Absolute, out _))
            throw new KnowledgeException($"{source}: embedding.endpoint '{Endpoint}' is not an absolute URL; expected e.g. http://localhost:11434/v1");
    }
}

public enum VectorIndexKind
{
    /// <summary>Brute force, recall 1; fine up to a few hundred thousand chunks.</summary>
    Exact,
    /// <summary>Approximate graph index (M, efConstruction, efSearch).</summary>
    Hnsw,
}

public sealed record VectorIndexSettings
{
    public VectorIndexKind Kind { get; init; } = VectorIndexKind.Exact;

    public VectorMetric Metric { get; init; } = VectorMetric.Cosine;

    public HnswOptions Hnsw { get; init; } = new();
}

public enum FusionMethod
{
    /// <summary>Reciprocal-rank fusion: ranks only, no score calibration needed.</summary>
    Rrf,
    /// <summary>Min-max normalised scores, weighted per route.</summary>
    Weighted,
}

public sealed record FusionSettings
{
    public FusionMethod Method { get; init; } = FusionMethod.Rrf;

    /// <summary>The RRF constant k (60 in the paper).</summary>
    public int RrfK { get; init; } = 60;

    /// <summary>Per-route weights ("bm25", "dense"); routes not named weigh 1.</summary>
    public IReadOnlyDictionary<string, double> Weights { get; init; } = new Dictionary<string, double>();

    /// <summary>Hits requested from each route before fusion.</summary>
    public int CandidatesPerRoute { get; init; } = 50;
}
