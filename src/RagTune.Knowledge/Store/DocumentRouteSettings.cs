// The document-level route of a knowledge base (kb.json "document_route"): one representation per document, indexed for
// BM25 and dense search, so that hierarchical search can rank documents first and then only their chunks.
namespace RagTune.Knowledge.Store;

public enum DocumentRouteKind
{
    /// <summary>The document's first chunk at the coarsest level (its opening), as text and as its embedding.</summary>
    FirstChunk,
    /// <summary>A summary written by a teacher model (<see cref="KnowledgeBaseOpenOptions.Summarizer"/>), and its embedding.</summary>
    Summary,
    /// <summary>The whole document text for BM25 and the mean of its indexed chunks' vectors for the dense route.</summary>
    Mean,
}

public sealed record DocumentRouteSettings
{
    public DocumentRouteKind Kind { get; init; } = DocumentRouteKind.FirstChunk;

    /// <summary>Summary: the teacher's model name on an OpenAI-compatible server, recorded so that every later
    /// <c>kb add</c> summarises with the same model (the host builds the chat client); null: the caller passes
    /// <see cref="KnowledgeBaseOpenOptions.Summarizer"/>.</summary>
    public string? SummaryModel { get; init; }

    /// <summary>Summary: the server's base address with the version path; null means api.openai.com.</summary>
    public string? SummaryEndpoint { get; init; }

    public string SummaryApiKeyEnvironmentVariable { get; init; } = "OPENAI_API_KEY";

    internal void Validate(string source, EmbeddingSettings embedding)
    {
        if (!Enum.IsDefined(Kind))
            throw new KnowledgeException($"{source}: document_route.kind is {(int)Kind}; expected first_chunk, summary or mean");
        if (Kind == DocumentRouteKind.Mean && embedding.Kind == EmbeddingKind.None)
            throw new KnowledgeException($"{source}: document_route.kind is mean, but embedding.kind is none; expected an embedding model (the mean is taken over chunk vectors) or document_route.kind first_chunk or summary");
        if (Kind != DocumentRouteKind.Summary && (SummaryModel ?? SummaryEndpoint) is not null)
            throw new KnowledgeException($"{source}: document_route.summary_model/summary_endpoint are set but document_route.kind is {Kind}; expected them only with kind summary");
        if (SummaryEndpoint is not null && !Uri.TryCreate(SummaryEndpoint, UriKind.Absolute, out _))
            throw new KnowledgeException($"{source}: document_route.summary_endpoint '{SummaryEndpoint}' is not an absolute URL; expected e.g. http://localhost:11434/v1");
    }
}
