// Which files `raft export` writes and how: formats, system prompt, embedding negatives and query prompt.
using RagTune.Raft.Sources;

namespace RagTune.Raft.Export;

[Flags]
public enum RaftExportFormats
{
    None = 0,
    Raft = 1,
    Chat = 2,
    Completion = 4,
    Eval = 8,
    Alpaca = 16,
    ShareGpt = 32,
    FlagEmbedding = 64,
    All = Raft | Chat | Completion | Eval | Alpaca | ShareGpt | FlagEmbedding,
}

public sealed class RaftExportOptions
{
    public RaftExportFormats Formats { get; set; } = RaftExportFormats.All;

    /// <summary>System message for chat / LLaMA-Factory exports; null = none (RAFT's instruction carries everything).</summary>
    public string? SystemPrompt { get; set; }

    /// <summary>Name prefix of the dataset_info.json entries.</summary>
    public string DatasetName { get; set; } = "ragtune_raft";

    /// <summary>Negatives per FlagEmbedding query (group size − 1; FlagEmbedding's default group size is 8).</summary>
    public int NegativesPerQuery { get; set; } = 7;

    /// <summary>FlagEmbedding "prompt": null = the bge query instruction for the example's language, "" = omit the field.</summary>
    public string? EmbeddingPrompt { get; set; }

    /// <summary>All chunks of the corpus: lets negatives be mined (with <see cref="Negatives"/>) or drawn at random from other documents.</summary>
    public IReadOnlyList<RaftChunk>? Chunks { get; set; }

    /// <summary>Hard-negative miner; without it and without <see cref="Chunks"/>, negatives are the example's distractors.</summary>
    public IHardNegativeProvider? Negatives { get; set; }
}
