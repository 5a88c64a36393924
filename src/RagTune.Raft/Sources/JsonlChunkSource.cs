// Chunk source over a JSONL file ({"id","document_id","text","title"?} per line), e.g. chunks exported from a knowledge base.
using System.Text.Json;

namespace RagTune.Raft.Sources;

/// <summary>Reads chunks from a JSONL file; every error names the file, the line and the field.</summary>
public sealed class JsonlChunkSource(string path) : IChunkSource
{
    public Task<IReadOnlyList<RaftChunk>> LoadChunksAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var chunks = new List<RaftChunk>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (lineNo, e) in JsonInput.ReadLines(path, "chunks file", "one object per line with id, document_id, text, title"))
        {
            string Field(string name, bool required)
            {
                if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
                    return v.GetString()!;
                if (required)
                    throw new RaftException($"{path}:{lineNo}: field '{name}' is missing or not a string: expected a string");
                return "";
            }
            var chunk = new RaftChunk(Field("id", true), Field("document_id", true), Field("text", true), Field("title", false) is { Length: > 0 } t ? t : null);
            if (!ids.Add(chunk.Id))
                throw new RaftException($"{path}:{lineNo}: duplicate chunk id '{chunk.Id}': expected unique ids");
            chunks.Add(chunk);
        }
        if (chunks.Count == 0)
            throw new RaftException($"chunks file '{path}' holds no chunks");
        return Task.FromResult<IReadOnlyList<RaftChunk>>(chunks);
    }
}
