// One file format's loader: bytes of a file in, documents (or per-document errors) out.
namespace RagTune.Knowledge.Loading;

public interface IDocumentLoader
{
    /// <summary>Lower-case extensions with the dot (".md").</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>Loads <paramref name="source"/>. A file that cannot be read at all throws <see cref="KnowledgeException"/>;
    /// formats holding many records (JSONL) return one result per record, failed records as errors.</summary>
    Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default);
}
