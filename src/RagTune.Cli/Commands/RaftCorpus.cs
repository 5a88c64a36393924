// The chunks a RAFT command works on and, when they come from a knowledge base, that knowledge base kept open so that
// hard negatives are mined with its own retriever instead of the stand-in TF-IDF ranker.
using RagTune.Knowledge.Store;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;

namespace RagTune.Cli.Commands;

internal sealed class RaftCorpus(IReadOnlyList<RaftChunk> chunks, KnowledgeBase? knowledgeBase) : IAsyncDisposable
{
    public IReadOnlyList<RaftChunk> Chunks { get; } = chunks;

    public KnowledgeBase? KnowledgeBase { get; } = knowledgeBase;

    /// <summary>The knowledge base's hybrid/BM25 search when there is one, else TF-IDF over the loaded chunks.</summary>
    public IHardNegativeProvider HardNegatives() =>
        KnowledgeBase is { } kb ? new KnowledgeBaseHardNegativeProvider(kb) : new LexicalHardNegativeProvider(Chunks);

    public ValueTask DisposeAsync() => KnowledgeBase?.DisposeAsync() ?? ValueTask.CompletedTask;
}
