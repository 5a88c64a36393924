// What `ragtune serve` serves and how: models, adapters, knowledge bases, routers, limits and security; read from JSON or YAML
// (snake_case keys) or built in code. Paths here come from the operator, never from requests.
namespace RagTune.Server.Configuration;

public sealed class ServerOptions
{
    public List<ModelEntry> Models { get; set; } = [];
    public List<KnowledgeBaseEntry> KnowledgeBases { get; set; } = [];
    public List<RouterEntry> Routers { get; set; } = [];

    /// <summary>Accepted bearer keys; empty = no authentication (refused on a non-loopback address unless <see cref="Insecure"/>).</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Browser origins allowed by CORS; empty = CORS closed (same-origin only).</summary>
    public List<string> CorsOrigins { get; set; } = [];

    /// <summary>Allow a non-loopback address without API keys.</summary>
    public bool Insecure { get; set; }

    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>Most characters of message text in one chat request (before the template and retrieved passages).</summary>
    public int MaxPromptChars { get; set; } = 32_000;

    /// <summary>Most tokens one request may ask to generate.</summary>
    public int MaxCompletionTokens { get; set; } = 4096;

    /// <summary>Generations running at once per model (each has its own KV cache); they decode together, one batched
    /// pass per token (a model's adapters share its batch).</summary>
    public int MaxConcurrentPerModel { get; set; } = 8;

    /// <summary>Requests waiting per model beyond the running ones; more get 429 with Retry-After.</summary>
    public int MaxQueuePerModel { get; set; } = 16;

    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Folder of RAFT JSONL files shown by the dataset viewer.</summary>
    public string? DatasetsFolder { get; set; }

    /// <summary>Folder of evaluation reports (*.html).</summary>
    public string? ReportsFolder { get; set; }

    /// <summary>Folder of training runs; every *.svg below it (loss curves) is listed.</summary>
    public string? RunsFolder { get; set; }
}

public sealed class ModelEntry
{
    public string Name { get; set; } = "";
    public string Path { get; set; } = "";

    /// <summary>"chat" or "embedding".</summary>
    public string Kind { get; set; } = "chat";

    /// <summary>LoRA adapters of this base model, each served under its own model name (as vLLM's --lora-modules).</summary>
    public List<AdapterEntry> Adapters { get; set; } = [];

    public int DefaultMaxTokens { get; set; } = 512;
}

public sealed class AdapterEntry
{
    public string Name { get; set; } = "";
    public string Path { get; set; } = "";
}

public sealed class KnowledgeBaseEntry
{
    /// <summary>Served as model "rag:&lt;name&gt;".</summary>
    public string Name { get; set; } = "";
    public string Path { get; set; } = "";

    /// <summary>The chat model (or adapter) that answers, by served name; empty = served for search only (no rag:&lt;name&gt;
    /// model; the search API and the UI's search page work).</summary>
    public string Generator { get; set; } = "";

    /// <summary>A served embedding model for the dense route (the one the knowledge base was built with); null = BM25 only.</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>Passages put in the prompt.</summary>
    public int TopK { get; set; } = 4;

    /// <summary>Rerank the retrieved passages before they go into the prompt (and in the search API): with
    /// <see cref="Reranker"/> when set, else the reranker the knowledge base records (kb create --reranker). The server
    /// refuses to start when this is true and neither exists.</summary>
    public bool Rerank { get; set; }

    /// <summary>A local reranker folder (cross-encoder or Qwen3-Reranker-style decoder) used instead of the knowledge
    /// base's own; null = the one kb.json records.</summary>
    public string? Reranker { get; set; }

    /// <summary>Retrieve document first: rank documents on the knowledge base's document route (kb create --doc-route),
    /// then only the chunks of the best <see cref="HierarchicalDocuments"/>. The server refuses to start when this is true
    /// and kb.json has no document_route.</summary>
    public bool Hierarchical { get; set; }

    /// <summary>With <see cref="Hierarchical"/>: the documents whose chunks are searched.</summary>
    public int HierarchicalDocuments { get; set; } = 20;

    /// <summary>Append a "Sources" footer to the answer text (citations are always in the structured field).</summary>
    public bool SourcesFooter { get; set; } = true;

    public string SourcesHeading { get; set; } = "Sources";

    /// <summary>System message sent before the RAFT instruction; null = the prompt format's (none by default).</summary>
    public string? SystemPrompt { get; set; }

    /// <summary>A rag_format.json (RagPromptFormat) to build prompts with; null = the one recorded in the generator's model or
    /// adapter folder, else the default RAFT format.</summary>
    public string? PromptFormat { get; set; }

    /// <summary>Passages cited when the answer quotes nothing.</summary>
    public int FallbackCitations { get; set; } = 2;
}

public sealed class RouterEntry
{
    /// <summary>Served as this model name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Target when no rule matches (or the classifier answers no known label).</summary>
    public string Default { get; set; } = "";

    public List<RouteRule> Rules { get; set; } = [];

    /// <summary>Instead of (or before) rules: a served chat model that classifies the question into one of these labels.</summary>
    public ClassifierEntry? Classifier { get; set; }
}

public sealed class RouteRule
{
    /// <summary>A .NET regular expression (case-insensitive) tested against the question.</summary>
    public string? Pattern { get; set; }

    /// <summary>Any of these words (case-insensitive substring) selects the target.</summary>
    public List<string> Keywords { get; set; } = [];

    public string Target { get; set; } = "";
}

public sealed class ClassifierEntry
{
    public string Model { get; set; } = "";

    /// <summary>Label → target model name; the label's text is what the classifier must answer.</summary>
    public Dictionary<string, string> Labels { get; set; } = [];
}
