// The summaries written so far (summaries.jsonl beside kb.json): every summary is appended and flushed as soon as the
// teacher returns it, so a killed build resumes without asking the teacher again for finished documents.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RagTune.Knowledge.Summaries;

/// <remarks>
/// One JSON object per line: document_id, content_hash, summary. A summary is reused while the document's content hash is
/// unchanged; a changed document gets a new line (the last line of an id wins). A kill mid-write leaves a torn last line,
/// which is ignored and overwritten; a bad line anywhere else is an error naming the file and the line. One writer at a
/// time (KnowledgeBase serialises ingestion).
/// </remarks>
public sealed class DocumentSummaryJournal
{
    public const string FileName = "summaries.jsonl";

    /// <summary>The journal's path in a knowledge base's folder (beside kb.json).</summary>
    public static string In(string directory) => System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);

    private sealed record Entry(string DocumentId, string ContentHash, string Summary);

    // snake_case fields, Chinese kept readable (the store's own files use the same settings; Summaries stays below Store).
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly string _path;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _validLength;

    private DocumentSummaryJournal(string path) => _path = path;

    public string Path => _path;

    public int Count => _entries.Count;

    /// <summary>Reads the journal at <paramref name="path"/>; a missing file is an empty journal.</summary>
    public static DocumentSummaryJournal Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var journal = new DocumentSummaryJournal(System.IO.Path.GetFullPath(path));
        if (!File.Exists(journal._path)) return journal;
        byte[] bytes = File.ReadAllBytes(journal._path);
        int start = 0, lineNumber = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            lineNumber++;
            if (end < 0) break;  // no newline yet: a torn last line, rewritten by the next append
            var line = bytes.AsSpan(start, end - start);
            try
            {
                var entry = JsonSerializer.Deserialize<Entry>(line, Json) ?? throw new JsonException("null");
                if (entry.DocumentId is null || entry.ContentHash is null || entry.Summary is null) throw new JsonException("a field is missing");
                journal._entries[entry.DocumentId] = entry;
            }
            catch (JsonException e)
            {
                throw new KnowledgeException($"{journal._path} line {lineNumber}: invalid summary entry ({e.Message}); expected one JSON object per line with document_id, content_hash and summary (delete the file to summarise again)", e);
            }
            start = end + 1;
        }
        journal._validLength = start;
        return journal;
    }

    /// <summary>The summary recorded for this document and content, or null.</summary>
    public string? Find(string documentId, string contentHash) =>
        _entries.TryGetValue(documentId, out var entry) && entry.ContentHash == contentHash ? entry.Summary : null;

    /// <summary>Records a summary and flushes it to disk before returning.</summary>
    public async Task AppendAsync(string documentId, string contentHash, string summary, CancellationToken cancellationToken = default)
    {
        var entry = new Entry(documentId, contentHash, summary);
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
        await using (var file = new FileStream(_path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 4096, useAsync: true))
        {
            // Cut a torn last line off first, so the journal stays one object per line.
            file.SetLength(_validLength);
            file.Position = _validLength;
            await file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }
        _validLength += line.Length;
        _entries[documentId] = entry;
    }
}
