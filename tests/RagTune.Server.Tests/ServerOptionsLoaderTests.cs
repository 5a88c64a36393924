// Server config files: JSON and YAML read the same options (snake_case), relative paths resolve against the file,
// mistakes name the file and the field.
using RagTune.Server.Configuration;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class ServerOptionsLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Json_and_yaml_give_the_same_options()
    {
        string json = Write("server.json", """
            {
              // comments are allowed
              "models": [{ "name": "qwen", "path": "models/qwen", "kind": "chat", "adapters": [{ "name": "qwen-hr", "path": "adapters/hr" }] }],
              "knowledge_bases": [{ "name": "hr", "path": "kb/hr", "generator": "qwen", "top_k": 3, "sources_footer": false }],
              "routers": [{ "name": "auto", "default": "rag:hr", "rules": [{ "pattern": "\\d+\\s*[+]", "target": "qwen" }, { "keywords": ["翻译"], "target": "qwen" }] }],
              "api_keys": ["k1"], "max_queue_per_model": 3, "runs_folder": "runs",
            }
            """);
        string yaml = Write("server.yaml", """
            models:
              - name: qwen
                path: models/qwen
                kind: chat
                adapters:
                  - { name: qwen-hr, path: adapters/hr }
            knowledge_bases:
              - { name: hr, path: kb/hr, generator: qwen, top_k: 3, sources_footer: false }
            routers:
              - name: auto
                default: rag:hr
                rules:
                  - { pattern: '\d+\s*[+]', target: qwen }
                  - { keywords: [翻译], target: qwen }
            api_keys: [k1]
            max_queue_per_model: 3
            runs_folder: runs
            """);
        foreach (var options in new[] { ServerOptionsLoader.Load(json), ServerOptionsLoader.Load(yaml) })
        {
            var model = Assert.Single(options.Models);
            Assert.Equal(Path.Combine(_dir, "models", "qwen"), model.Path);
            Assert.Equal(Path.Combine(_dir, "adapters", "hr"), Assert.Single(model.Adapters).Path);
            var kb = Assert.Single(options.KnowledgeBases);
            Assert.Equal((3, false, "qwen"), (kb.TopK, kb.SourcesFooter, kb.Generator));
            var router = Assert.Single(options.Routers);
            Assert.Equal(@"\d+\s*[+]", router.Rules[0].Pattern);
            Assert.Equal(["翻译"], router.Rules[1].Keywords);
            Assert.Equal(["k1"], options.ApiKeys);
            Assert.Equal(3, options.MaxQueuePerModel);
            Assert.Equal(2, options.MaxConcurrentPerModel);
            Assert.Equal(Path.Combine(_dir, "runs"), options.RunsFolder);
        }
    }

    [Fact]
    public void Mistakes_name_the_file_and_the_field()
    {
        string unknown = Write("bad.json", """{ "modles": [] }""");
        var e = Assert.Throws<ServerException>(() => ServerOptionsLoader.Load(unknown));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains("modles", e.Message);
        Assert.Contains("does not exist", Assert.Throws<ServerException>(() => ServerOptionsLoader.Load(Path.Combine(_dir, "none.yaml"))).Message);
    }

    [Fact]
    public async Task Inconsistent_configurations_are_refused_at_start()
    {
        var unknownGenerator = new ServerOptions { KnowledgeBases = [new KnowledgeBaseEntry { Name = "kb", Path = _dir, Generator = "nope" }] };
        var e = await Assert.ThrowsAsync<ServerException>(() => RagTuneServer.BuildAsync(unknownGenerator, ["http://127.0.0.1:0"]));
        Assert.Contains("generator 'nope' is not a served chat model", e.Message);

        var services = new Models.ServerServices();
        services.ChatClients["m"] = new ScriptedChatClient(_ => "");
        var twice = new ServerOptions { Models = [new ModelEntry { Name = "m" }, new ModelEntry { Name = "m" }] };
        Assert.Contains("served twice", (await Assert.ThrowsAsync<ServerException>(() => RagTuneServer.BuildAsync(twice, ["http://127.0.0.1:0"], services))).Message);

        var badRoute = new ServerOptions { Models = [new ModelEntry { Name = "m" }], Routers = [new RouterEntry { Name = "r", Default = "rag:none" }] };
        Assert.Contains("target 'rag:none'", (await Assert.ThrowsAsync<ServerException>(() => RagTuneServer.BuildAsync(badRoute, ["http://127.0.0.1:0"], services))).Message);

        var missing = new ServerOptions { Models = [new ModelEntry { Name = "x", Path = Path.Combine(_dir, "no-model") }] };
        Assert.Contains("model 'x' at", (await Assert.ThrowsAsync<ServerException>(() => RagTuneServer.BuildAsync(missing, ["http://127.0.0.1:0"]))).Message);
    }
}
