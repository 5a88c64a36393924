// Where RAFT gets its chunks: a folder of documents now, the knowledge base later.
namespace RagTune.Raft.Sources;

/// <summary>Supplies the chunks to generate from, in a stable order (the order decides example order in exports).</summary>
public interface IChunkSource
{
    Task<IReadOnlyList<RaftChunk>> LoadChunksAsync(CancellationToken cancellationToken = default);
}
