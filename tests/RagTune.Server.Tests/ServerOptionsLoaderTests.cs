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
              "knowledge_bases": [{ "name": "hr", "path": "kb/hr", "generator": "qwen", "top_k": 3, "sources_footer": false, "rerank": true, "reranker": "models/rr" }],
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
              - { name: hr, path: kb/hr, generator: qwen, top_k: 3, sources_footer: false, rerank: true, reranker: models/rr }
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
            Assert.Equal((true, Path.Combine(_dir, "models", "rr")), (kb.Rerank, kb.Reranker));
            var router = Assert.Single(options.Routers);
            Assert.Equal(@"\d+\s*[+]", router.Rules[0].Pattern);
            Assert.Equal(["翻译"], router.Rules[1].Keywords);
            Assert.Equal(["k1"], options.ApiKeys);
            Assert.Equal(3, options.MaxQueuePerModel);
            Assert.Equal(8, options.MaxConcurrentPerModel);
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

    [Theory]
    [InlineData("max_request_body_bytes: -5", "line", "max_request_body_bytes is -5; expected an integer ≥ 1")]
    [InlineData("max_concurrent_per_model: 0", "line", "max_concurrent_per_model is 0; expected an integer ≥ 1")]
    [InlineData("max_queue_per_model: -1", "line", "max_queue_per_model is -1; expected an integer ≥ 0")]
    [InlineData("max_queue_per_model: lots", "line 2", "max_queue_per_model is 'lots'; expected an integer")]
    [InlineData("insecure: maybe", "line 2", "insecure is 'maybe'; expected true or false")]
    [InlineData("models:\n  - { name: m, path: x, default_max_tokens: many }", "line 3", "models[0].default_max_tokens is 'many'; expected an integer")]
    [InlineData("routers:\n  - name: r\n    rules: oops", "line 4", "routers[0].rules is 'oops'; expected a list")]
    [InlineData("modles: []", "line 2", "unknown field 'modles'; expected one of models, knowledge_bases, routers")]
    [InlineData("models:\n  - { name: m, pth: x }", "line 3", "unknown field 'pth' in models[0]; expected one of name, path, kind")]
    public void Yaml_mistakes_name_the_file_line_field_value_and_what_is_expected(string yaml, string line, string message)
    {
        string path = Write("bad.yaml", "# limits\n" + yaml + "\n");
        var e = Assert.Throws<ServerException>(() => ServerOptionsLoader.Load(path));
        if (line == "line") Assert.Equal($"server config '{path}': {message}", e.Message);
        else Assert.StartsWith($"server config '{path}' {line}: {message}", e.Message);
        Assert.DoesNotContain("System.", e.Message);
    }

    [Theory]
    [InlineData("""{ "max_request_body_bytes": -5 }""", "'{0}': max_request_body_bytes is -5; expected an integer ≥ 1")]
    [InlineData("""{ "max_queue_per_model": "lots" }""", "'{0}' line 1: max_queue_per_model is 'lots'; expected an integer")]
    [InlineData("{\n  \"routers\": [{ \"name\": \"r\", \"rules\": [{ \"target\": 7 }] }]\n}", "'{0}' line 2: routers[0].rules[0].target is 7; expected a string")]
    [InlineData("""{ "models": [{ "name": "m", "pth": "x" }] }""", "'{0}' line 1: unknown field 'pth'; expected one of name, path, kind")]
    public void Json_mistakes_name_the_file_line_field_value_and_what_is_expected(string json, string message)
    {
        string path = Write("bad.json", json);
        var e = Assert.Throws<ServerException>(() => ServerOptionsLoader.Load(path));
        Assert.StartsWith("server config " + string.Format(message, path), e.Message);
        Assert.DoesNotContain("System.", e.Message);
    }

    [Fact]
    public async Task Limits_built_in_code_are_checked_at_start()
    {
        var services = new Models.ServerServices();
        services.ChatClients["m"] = new ScriptedChatClient(_ => "");
        var zero = new ServerOptions { Models = [new ModelEntry { Name = "m" }], MaxConcurrentPerModel = 0 };
        var e = await Assert.ThrowsAsync<ServerException>(() => RagTuneServer.BuildAsync(zero, ["http://127.0.0.1:0"], services));
        Assert.Equal("server config: max_concurrent_per_model is 0; expected an integer ≥ 1", e.Message);
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
