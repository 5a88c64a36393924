// What a knowledge store keeps besides chunks: ingested files (for incremental re-adds), documents, and the unit of an
// atomic write.
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Store;

/// <summary>A file ingested from a folder.</summary>
/// <param name="Root">Full path of the folder it was added from.</param>
/// <param name="RelativePath">Path below <paramref name="Root"/>, '/' separators.</param>
/// <param name="ContentHash">Lower-case hex SHA-256 of the file's bytes when it was indexed.</param>
/// <param name="DocumentIds">Documents it produced that are still in the store (a JSONL file gives one per record).</param>
public sealed record StoredFile(string Root, string RelativePath, string ContentHash, IReadOnlyList<string> DocumentIds);

/// <summary>A document in the store: what citations need, without its text (the chunks hold that).</summary>
public sealed record StoredDocument
{
    public required string Id { get; init; }
    public required string SourcePath { get; init; }
    public required string RelativePath { get; init; }
    public required string Title { get; init; }
    public required string ContentHash { get; init; }
    public string Language { get; init; } = "und";
    public int TextLength { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Chunk counts per level (index = level).</summary>
    public IReadOnlyList<int> ChunksPerLevel { get; init; } = [];

    public static StoredDocument From(Document document, IReadOnlyList<Chunk> chunks, int levels)
    {
        var perLevel = new int[levels];
        foreach (var c in chunks) perLevel[c.Level]++;
        return new StoredDocument
        {
            Id = document.Id,
            SourcePath = document.SourcePath,
            RelativePath = document.RelativePath,
            Title = document.Title,
            ContentHash = document.ContentHash,
            Language = document.Language,
            TextLength = document.Text.Length,
            Metadata = document.Metadata,
            ChunksPerLevel = perLevel,
        };
    }
}

/// <summary>A document with all its chunks (every level) and the embeddings of its indexed chunks, keyed by chunk id.</summary>
public sealed record DocumentUpsert(StoredDocument Document, IReadOnlyList<Chunk> Chunks, IReadOnlyDictionary<string, float[]> Vectors)
{
    /// <summary>The document on the document-level route: required when kb.json has a document_route, refused otherwise.</summary>
    public DocumentRepresentation? Representation { get; init; }
}

/// <summary>What the document-level route indexes for one document (kb.json document_route).</summary>
/// <param name="Text">Indexed for BM25: the first chunk, the summary, or the whole text.</param>
/// <param name="Vector">Indexed for dense search; null when the knowledge base does not embed (or the document is empty).</param>
public sealed record DocumentRepresentation(string Text, float[]? Vector);

/// <summary>Changes applied together: all or nothing, also across a crash.</summary>
public sealed record StoreBatch
{
    /// <summary>Documents to delete with all their chunks and vectors (applied first).</summary>
    public IReadOnlyList<string> RemovedDocuments { get; init; } = [];

    /// <summary>Documents to add or replace (replacing drops the old chunks first).</summary>
    public IReadOnlyList<DocumentUpsert> Upserts { get; init; } = [];

    /// <summary>File records to add or replace, keyed by (Root, RelativePath).</summary>
    public IReadOnlyList<StoredFile> Files { get; init; } = [];

    /// <summary>File records to forget, as (Root, RelativePath).</summary>
    public IReadOnlyList<(string Root, string RelativePath)> RemovedFiles { get; init; } = [];

    /// <summary>Checks that every upsert carries a document-route representation exactly when the options have a document route.</summary>
    internal void CheckRepresentations(KnowledgeBaseOptions options, string store)
    {
        foreach (var upsert in Upserts)
        {
            if (options.DocumentRoute is not null && upsert.Representation is null)
                throw new KnowledgeException($"{store}: document '{upsert.Document.Id}' comes without its document-route representation; expected one, since kb.json document_route is set");
            if (options.DocumentRoute is null && upsert.Representation is not null)
                throw new KnowledgeException($"{store}: document '{upsert.Document.Id}' comes with a document-route representation, but kb.json has no document_route; expected none");
        }
    }

    public bool IsEmpty => RemovedDocuments.Count == 0 && Upserts.Count == 0 && Files.Count == 0 && RemovedFiles.Count == 0;
}

/// <summary>Sizes of a store.</summary>
public sealed record StoreStats
{
    /// <summary>Files that gave at least one document.</summary>
    public int Files { get; init; }

    /// <summary>Files recorded with no document (an empty file, a JSON array with no records): kept so an unchanged
    /// file is not read again, but not counted in <see cref="Files"/>. Files that failed to load are not recorded at all.</summary>
    public int FilesWithoutDocuments { get; init; }

    public int Documents { get; init; }

    /// <summary>Chunks per level (index = level).</summary>
    public IReadOnlyList<int> ChunksPerLevel { get; init; } = [];

    /// <summary>Chunks in the BM25 index.</summary>
    public int LexicalDocuments { get; init; }
    public int LexicalTerms { get; init; }

    /// <summary>Vectors in the dense index, and their size (0 when there is none).</summary>
    public int Vectors { get; init; }
    public int VectorDimensions { get; init; }

    /// <summary>Documents on the document-level route (BM25) and their vectors; 0 without a document route.</summary>
    public int RoutedDocuments { get; init; }
    public int RoutedDocumentVectors { get; init; }

    /// <summary>Bytes on disk (or in the database) of the whole store.</summary>
    public long DiskBytes { get; init; }

    /// <summary>Commits so far (the embedded store's generation number).</summary>
    public long Generation { get; init; }
}
