// The instruction prefixes an embedding model expects before queries and passages (bge, e5, sentence-transformers "prompts").
using System.Text.Json;
using RagTune.Engine.Training;

namespace RagTune.Knowledge.Embeddings;

/// <summary>Prefixes prepended verbatim; an empty string means "no prefix" for that side.</summary>
public sealed record EmbeddingPrompts(string Query, string Passage)
{
    public static readonly EmbeddingPrompts None = new("", "");

    public const string BgeEnglishQuery = "Represent this sentence for searching relevant passages: ";
    public const string BgeChineseQuery = "为这个句子生成表示以用于检索相关文章：";

    /// <summary>
    /// The prompts of a known model family from its name or Hugging Face id (case-insensitive), or null when unknown:
    /// bge-*-en(-v1.5) and bge-*-zh(-v1.5) put an instruction before queries only (bge-m3 needs none);
    /// e5 (e5-*, multilingual-e5-*) uses "query: " / "passage: ".
    /// </summary>
    public static EmbeddingPrompts? ForModel(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        string name = modelName.Trim().ToLowerInvariant();
        int slash = name.LastIndexOf('/');
        if (slash >= 0) name = name[(slash + 1)..];
        if (name.Contains("bge-m3")) return None;
        if (name.StartsWith("bge-", StringComparison.Ordinal) && !name.Contains("reranker"))
        {
            if (name.Contains("-zh")) return new(BgeChineseQuery, "");
            if (name.Contains("-en")) return new(BgeEnglishQuery, "");
        }
        if (name.StartsWith("e5-", StringComparison.Ordinal) || name.StartsWith("multilingual-e5-", StringComparison.Ordinal))
            return new("query: ", "passage: ");
        return null;
    }

    /// <summary>
    /// Reads <c>config_sentence_transformers.json</c> from a model folder: its "prompts" object maps a name to a prefix.
    /// "query" is the query prompt; "passage", "document", "doc" or "corpus" the passage prompt; a side without one gets the
    /// prompt "default_prompt_name" names (Qwen3-Embedding: query "Instruct: …\nQuery:", document ""). Returns null when the
    /// file or the object is absent; a malformed file is a <see cref="KnowledgeException"/>.
    /// </summary>
    public static EmbeddingPrompts? FromModelFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string path = Path.Combine(folder, "config_sentence_transformers.json");
        if (!File.Exists(path)) return null;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new KnowledgeException($"{path}: not valid JSON ({e.Message}), expected a sentence-transformers config.", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("prompts", out var prompts) || prompts.ValueKind == JsonValueKind.Null)
                return null;
            if (prompts.ValueKind != JsonValueKind.Object)
                throw new KnowledgeException($"{path}: field 'prompts' is a {prompts.ValueKind}, expected an object of name → prefix.");
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in prompts.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new KnowledgeException($"{path}: field 'prompts.{p.Name}' is a {p.Value.ValueKind}, expected a string.");
                map[p.Name] = p.Value.GetString()!;
            }
            // default_prompt_name: the prompt sentence-transformers applies to any text encoded without a named prompt, so
            // to whichever side has no prompt of its own.
            string? fallback = null;
            if (doc.RootElement.TryGetProperty("default_prompt_name", out var name) && name.ValueKind != JsonValueKind.Null)
            {
                if (name.ValueKind != JsonValueKind.String || !map.TryGetValue(name.GetString()!, out fallback))
                    throw new KnowledgeException($"{path}: field 'default_prompt_name' is {name.GetRawText()}, expected null or one of the names in 'prompts' ({string.Join(", ", map.Keys)}).");
            }
            string query = map.GetValueOrDefault("query") ?? fallback ?? "";
            string passage = new[] { "passage", "document", "doc", "corpus" }.Select(n => map.GetValueOrDefault(n)).FirstOrDefault(v => v is not null) ?? fallback ?? "";
            return new EmbeddingPrompts(query, passage);
        }
    }

    /// <summary>The folder's own prompts when it has them, else the known-model table by folder name, else none. A LoRA
    /// adapter folder (adapter_config.json, no config.json) resolves as its base model (base_model_name_or_path).</summary>
    public static EmbeddingPrompts Resolve(string modelNameOrFolder)
    {
        ArgumentNullException.ThrowIfNull(modelNameOrFolder);
        if (Directory.Exists(modelNameOrFolder) && !File.Exists(Path.Combine(modelNameOrFolder, "config.json"))
            && File.Exists(Path.Combine(modelNameOrFolder, PeftAdapter.ConfigFileName)))
            modelNameOrFolder = PeftAdapter.ReadBaseModel(modelNameOrFolder);
        if (Directory.Exists(modelNameOrFolder) && FromModelFolder(modelNameOrFolder) is { } fromFolder) return fromFolder;
        string name = Directory.Exists(modelNameOrFolder)
            ? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelNameOrFolder)))
            : modelNameOrFolder;
        return ForModel(name) ?? None;
    }
}
