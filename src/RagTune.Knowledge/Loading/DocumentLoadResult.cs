// What loading one file (or one record of a JSON/JSONL file) produced: a document or an error message.
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Loading;

/// <param name="SourcePath">Full path of the file.</param>
/// <param name="RelativePath">Path relative to the ingested root; "file.jsonl#3" for a record.</param>
/// <param name="Document">The document, or null when loading failed.</param>
/// <param name="Error">Why loading failed (names the file, what was found and what was expected), or null.</param>
public sealed record DocumentLoadResult(string SourcePath, string RelativePath, Document? Document, string? Error)
{
    public bool Succeeded => Document is not null;

    public static DocumentLoadResult Ok(Document document) => new(document.SourcePath, document.RelativePath, document, null);

    public static DocumentLoadResult Failed(string sourcePath, string relativePath, string error) => new(sourcePath, relativePath, null, error);
}
