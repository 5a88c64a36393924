// Where RAFT gets its chunks: a knowledge base (a directory, or one built in memory from a folder), or a JSONL of chunks.
namespace RagTune.Raft.Sources;

/// <summary>Supplies the chunks to generate from, in a stable order (the order decides example order in exports).</summary>
public interface IChunkSource
{
    Task<IReadOnlyList<RaftChunk>> LoadChunksAsync(CancellationToken cancellationToken = default);
}
