// The chunks a RAFT command works on and the knowledge base they came from (a --kb directory, or an in-memory one built
// from --docs or --chunks), kept open so that hard negatives are mined with its own search.
using RagTune.Knowledge.Store;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;

namespace RagTune.Cli.Commands;

internal sealed class RaftCorpus(IReadOnlyList<RaftChunk> chunks, KnowledgeBase knowledgeBase) : IAsyncDisposable
{
    public IReadOnlyList<RaftChunk> Chunks { get; } = chunks;

    public KnowledgeBase KnowledgeBase { get; } = knowledgeBase;

    /// <summary>The knowledge base's search (BM25, plus dense when a --kb embeds).</summary>
    public IHardNegativeProvider HardNegatives() => new KnowledgeBaseHardNegativeProvider(KnowledgeBase);

    public ValueTask DisposeAsync() => KnowledgeBase.DisposeAsync();
}
