// Reads ServerOptions from a .json or .yaml/.yml file (snake_case keys); relative paths resolve against the file's folder.
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
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw new ServerException($"server config '{path}': {e.Message}", e);
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
        }
        if (options.DatasetsFolder is { } d) options.DatasetsFolder = Resolve(d);
        if (options.ReportsFolder is { } r) options.ReportsFolder = Resolve(r);
        if (options.RunsFolder is { } u) options.RunsFolder = Resolve(u);
        return options;
    }
}
