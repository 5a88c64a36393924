// The shape of a pipeline.yaml file (snake_case keys): documents → knowledge base → RAFT data → fine-tune → evaluate.
namespace RagTune.Pipeline;

/// <summary>A whole pipeline; relative paths are resolved against the folder of the YAML file.</summary>
public sealed class PipelineDefinition
{
    /// <summary>Folder of source documents (any format the knowledge base reads).</summary>
    public string Documents { get; set; } = "";

    /// <summary>Where every stage writes its outputs and stamp; default ".ragtune-pipeline" next to the YAML file.</summary>
    public string WorkDir { get; set; } = ".ragtune-pipeline";

    public KnowledgeBaseStage KnowledgeBase { get; set; } = new();

    public RaftStage Raft { get; set; } = new();

    public TrainStage Train { get; set; } = new();

    public EvaluateStage Evaluate { get; set; } = new();
}

public sealed class KnowledgeBaseStage
{
    /// <summary>Chunk sizes in tokens, largest first; the smallest level is indexed and becomes RAFT's chunks.</summary>
    public List<int> ChunkLevels { get; set; } = [1024, 256];

    public int OverlapTokens { get; set; } = 32;

    /// <summary>Tokenizer folder used to count chunk tokens; null = the built-in estimate.</summary>
    public string? Tokenizer { get; set; }

    /// <summary>A local reranker folder (cross-encoder or Qwen3-Reranker-style decoder) recorded in the knowledge base; the
    /// evaluation then scores every *_rag system twice, without and with reranking.</summary>
    public string? Reranker { get; set; }

    /// <summary>A document route for document-first retrieval: first_chunk or summary (written by raft.teacher); the
    /// evaluation then scores every *_rag system flat and hierarchical. Null: none. (mean needs embeddings, which the
    /// pipeline's BM25 knowledge base does not have.)</summary>
    public string? DocRoute { get; set; }

    /// <summary>With a document route: the documents whose chunks the hierarchical twin searches.</summary>
    public int HierarchicalDocuments { get; set; } = 20;
}

public sealed class TeacherSettings
{
    /// <summary>OpenAI-compatible base URL, e.g. http://localhost:11434/v1 for Ollama.</summary>
    public string Endpoint { get; set; } = "";

    public string Model { get; set; } = "";

    /// <summary>Environment variable holding the API key (Ollama ignores the key; any value works).</summary>
    public string ApiKeyEnv { get; set; } = "OPENAI_API_KEY";

    public int Concurrency { get; set; } = 2;
}

public sealed class RaftStage
{
    public TeacherSettings Teacher { get; set; } = new();

    public int QuestionsPerChunk { get; set; } = 3;

    public int Distractors { get; set; } = 3;

    /// <summary>P: probability that the oracle chunk is in a training example's context.</summary>
    public double OracleProbability { get; set; } = 0.8;

    public double TestFraction { get; set; } = 0.1;

    public ulong Seed { get; set; } = 42;
}

public sealed class TrainStage
{
    /// <summary>Hugging Face checkpoint folder of the student (config.json, model.safetensors, tokenizer.json).</summary>
    public string Student { get; set; } = "";

    /// <summary>Update every weight instead of LoRA adapters.</summary>
    public bool FullFineTune { get; set; }

    public int LoraRank { get; set; } = 8;

    public float LoraAlpha { get; set; } = 16;

    public int Steps { get; set; } = 200;

    public int BatchSize { get; set; } = 1;

    public float LearningRate { get; set; } = 2e-4f;

    public int MaxLength { get; set; } = 1024;

    public int CheckpointEvery { get; set; } = 50;

    public ulong Seed { get; set; } = 42;
}

public sealed class EvaluateStage
{
    /// <summary>Any of base, base_rag, tuned, tuned_rag, teacher_rag.</summary>
    public List<string> Systems { get; set; } = ["base", "base_rag", "tuned", "tuned_rag"];

    /// <summary>Retrieved chunks per question for the RAG systems.</summary>
    public int TopK { get; set; } = 4;

    /// <summary>Cap on eval questions (from the RAFT test split); null = all.</summary>
    public int? MaxItems { get; set; }

    public int MaxTokens { get; set; } = 256;

    public int Seed { get; set; }

    /// <summary>Embedding checkpoint folder (BERT / XLM-R) for semantic_sim (answer vs reference cosine); null = not scored.</summary>
    public string? EmbedModel { get; set; }
}
