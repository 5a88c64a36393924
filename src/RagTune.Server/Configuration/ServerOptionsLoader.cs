// Reads ServerOptions from a .json or .yaml/.yml file (snake_case keys); relative paths resolve against the file's folder.
// Mistakes name the file, the line, the field, the value found and what the field takes; limits are checked at once.
using System.Text.Json;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace RagTune.Server.Configuration;

public static class ServerOptionsLoader
{
    public static ServerOptions Load(string path)
    {
        if (!File.Exists(path)) throw new ServerException($"server config '{path}' does not exist; expected a JSON or YAML file");
        string text = File.ReadAllText(path);
        ServerOptions? options;
        try
        {
            options = System.IO.Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".yaml" or ".yml" => new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build().Deserialize<ServerOptions>(text),
                _ => JsonSerializer.Deserialize<ServerOptions>(text, new JsonSerializerOptions
                {
                    PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                    ReadCommentHandling = JsonCommentHandling.Skip,
                    AllowTrailingCommas = true,
                    UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
                }),
            };
        }
        catch (JsonException e)
        {
            throw new ServerException(ServerConfigErrors.Describe(path, text, e), e);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ServerException(ServerConfigErrors.Describe(path, text, e), e);
        }
        if (options is null) throw new ServerException($"server config '{path}' is empty; expected an object with models, knowledge_bases, …");
        string root = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string Resolve(string p) => string.IsNullOrEmpty(p) ? p : System.IO.Path.GetFullPath(p, root);
        foreach (var m in options.Models)
        {
            m.Path = Resolve(m.Path);
            foreach (var a in m.Adapters) a.Path = Resolve(a.Path);
        }
        foreach (var kb in options.KnowledgeBases)
        {
            kb.Path = Resolve(kb.Path);
            if (kb.PromptFormat is { } f) kb.PromptFormat = Resolve(f);
            if (kb.Reranker is { } reranker) kb.Reranker = Resolve(reranker);
        }
        if (options.DatasetsFolder is { } d) options.DatasetsFolder = Resolve(d);
        if (options.ReportsFolder is { } r) options.ReportsFolder = Resolve(r);
        if (options.RunsFolder is { } u) options.RunsFolder = Resolve(u);
        Validate(options, $"server config '{path}'");
        return options;
    }

    /// <summary>Checks every limit and count against its range; <paramref name="source"/> names where the options came from.</summary>
    /// <exception cref="ServerException">The first field out of range, with its value and the range expected.</exception>
    public static void Validate(ServerOptions options, string source = "server config")
    {
        ArgumentNullException.ThrowIfNull(options);
        void AtLeast(long value, long min, string field)
        {
            if (value < min) throw new ServerException($"{source}: {field} is {value}; expected an integer ≥ {min}");
        }
        AtLeast(options.MaxRequestBodyBytes, 1, "max_request_body_bytes");
        AtLeast(options.MaxPromptChars, 1, "max_prompt_chars");
        AtLeast(options.MaxCompletionTokens, 1, "max_completion_tokens");
        AtLeast(options.MaxConcurrentPerModel, 1, "max_concurrent_per_model");
        AtLeast(options.MaxQueuePerModel, 0, "max_queue_per_model");
        AtLeast(options.RetryAfterSeconds, 0, "retry_after_seconds");
        for (int i = 0; i < options.Models.Count; i++)
            AtLeast(options.Models[i].DefaultMaxTokens, 1, $"models[{i}].default_max_tokens");
        for (int i = 0; i < options.KnowledgeBases.Count; i++)
        {
            AtLeast(options.KnowledgeBases[i].TopK, 1, $"knowledge_bases[{i}].top_k");
            AtLeast(options.KnowledgeBases[i].FallbackCitations, 0, $"knowledge_bases[{i}].fallback_citations");
            AtLeast(options.KnowledgeBases[i].HierarchicalDocuments, 1, $"knowledge_bases[{i}].hierarchical_documents");
        }
    }
}
