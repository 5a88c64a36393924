// What a caller supplies when opening a knowledge base that is not in kb.json: live objects (generators, counters, rerankers).
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Store;

public sealed record KnowledgeBaseOpenOptions
{
    /// <summary>The embedding model, overriding the one kb.json records. Null: kb.json's model — a Local model folder is
    /// loaded on first use (dense search, ingestion), an OpenAI-compatible endpoint gets its client. Query/passage prefixes
    /// from kb.json (or the model's known ones) are added on top.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? EmbeddingGenerator { get; init; }

    /// <summary>Token counter for chunking instead of the one kb.json names (must count the same way, or chunks change).</summary>
    public ITokenCounter? TokenCounter { get; init; }

    /// <summary>The reranking stage used when a search asks for it, overriding the one kb.json records (null: kb.json's
    /// reranker, a local model loaded on the first search that reranks).</summary>
    public IReranker? Reranker { get; init; }

    /// <summary>Writes the document summaries of a knowledge base whose kb.json document_route.kind is summary (a teacher
    /// chat model: <see cref="Summaries.ChatClientDocumentSummarizer"/>). Needed to add documents to such a base.</summary>
    public Summaries.IDocumentSummarizer? Summarizer { get; init; }

    /// <summary>Where finished summaries are journalled so that a killed build does not ask the teacher again; null: the
    /// knowledge base directory's summaries.jsonl when it has one (an in-memory store keeps none).</summary>
    public string? SummaryJournalPath { get; init; }
}

/// <summary>How <see cref="KnowledgeBase.AddFolderAsync"/> groups work into commits.</summary>
public sealed record IngestOptions
{
    /// <summary>Commit (make durable) this often while ingesting; a kill loses about this much work. Since each commit
    /// rewrites the store, commits are also spaced at least nine times the last commit's duration apart (at most ~10% of
    /// the run goes to commits on a large store).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Also commit after this many changed files; null = by time only.</summary>
    public int? CommitEveryFiles { get; init; }
}

/// <summary>Ingestion progress, reported after each file and each commit.</summary>
/// <param name="FilesDone">Files handled so far (unchanged, indexed or failed).</param>
/// <param name="FilesTotal">Files in the folder that have a loader.</param>
/// <param name="CurrentPath">Relative path of the file just handled, or null after a commit.</param>
/// <param name="Commits">Commits made so far in this run.</param>
public sealed record IngestProgress(int FilesDone, int FilesTotal, string? CurrentPath, int Commits);
