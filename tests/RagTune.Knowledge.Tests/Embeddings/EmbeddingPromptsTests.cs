// Query/passage instruction prefixes: the known-model table, sentence-transformers "prompts", and the decorator.
using RagTune.Knowledge.Embeddings;
using RagTune.Knowledge.Tests.Search;
using Xunit;

namespace RagTune.Knowledge.Tests.Embeddings;

public sealed class EmbeddingPromptsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-prompts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("BAAI/bge-small-en-v1.5", "Represent this sentence for searching relevant passages: ", "")]
    [InlineData("bge-large-en", "Represent this sentence for searching relevant passages: ", "")]
    [InlineData("BAAI/bge-base-zh-v1.5", "为这个句子生成表示以用于检索相关文章：", "")]
    [InlineData("intfloat/multilingual-e5-small", "query: ", "passage: ")]
    [InlineData("intfloat/e5-base-v2", "query: ", "passage: ")]
    [InlineData("BAAI/bge-m3", "", "")]
    public void KnownModels(string model, string query, string passage) =>
        Assert.Equal(new EmbeddingPrompts(query, passage), EmbeddingPrompts.ForModel(model));

    [Fact]
    public void UnknownModel_IsNull() => Assert.Null(EmbeddingPrompts.ForModel("nomic-embed-text"));

    [Fact]
    public void ModelFolder_PromptsFromSentenceTransformersConfig()
    {
        string folder = Path.Combine(_dir, "my-model");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config_sentence_transformers.json"),
            """{"__version__": {"sentence_transformers": "3.0.1"}, "prompts": {"query": "Instruct: retrieve\nQuery: ", "document": ""}, "default_prompt_name": null}""");
        Assert.Equal(new EmbeddingPrompts("Instruct: retrieve\nQuery: ", ""), EmbeddingPrompts.FromModelFolder(folder));
        Assert.Equal(new EmbeddingPrompts("Instruct: retrieve\nQuery: ", ""), EmbeddingPrompts.Resolve(folder));

        // No config: the folder name goes through the known-model table.
        string bge = Path.Combine(_dir, "bge-small-zh-v1.5");
        Directory.CreateDirectory(bge);
        Assert.Null(EmbeddingPrompts.FromModelFolder(bge));
        Assert.Equal(EmbeddingPrompts.BgeChineseQuery, EmbeddingPrompts.Resolve(bge).Query);
    }

    [Fact]
    public void ModelFolder_DefaultPromptName_AppliesToTheSideWithoutItsOwnPrompt()
    {
        string folder = Path.Combine(_dir, "instructed");
        Directory.CreateDirectory(folder);
        string config = Path.Combine(folder, "config_sentence_transformers.json");
        File.WriteAllText(config, """{"prompts": {"query": "Instruct: retrieve\nQuery:", "classification": "Classify: "}, "default_prompt_name": "classification"}""");
        Assert.Equal(new EmbeddingPrompts("Instruct: retrieve\nQuery:", "Classify: "), EmbeddingPrompts.FromModelFolder(folder));

        File.WriteAllText(config, """{"prompts": {"query": "q: "}, "default_prompt_name": "nope"}""");
        var e = Assert.Throws<KnowledgeException>(() => EmbeddingPrompts.FromModelFolder(folder));
        Assert.Contains("default_prompt_name", e.Message);
        Assert.Contains("config_sentence_transformers.json", e.Message);
    }

    [Fact]
    public void AdapterFolder_ResolvesAsItsBaseModel()
    {
        string baseModel = Path.Combine(_dir, "qwen3-embedding");
        Directory.CreateDirectory(baseModel);
        File.WriteAllText(Path.Combine(baseModel, "config.json"), "{}");
        File.WriteAllText(Path.Combine(baseModel, "config_sentence_transformers.json"), """{"prompts": {"query": "Instruct: x\nQuery:", "document": ""}}""");
        string adapter = Path.Combine(_dir, "run", "adapter");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
            System.Text.Json.JsonSerializer.Serialize(new { peft_type = "LORA", base_model_name_or_path = baseModel }));
        Assert.Equal(new EmbeddingPrompts("Instruct: x\nQuery:", ""), EmbeddingPrompts.Resolve(adapter));
    }

    [Fact]
    public void ModelFolder_MalformedConfig_NamesTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, "config_sentence_transformers.json"), """{"prompts": ["query: "]}""");
        var e = Assert.Throws<KnowledgeException>(() => EmbeddingPrompts.FromModelFolder(_dir));
        Assert.Contains("config_sentence_transformers.json", e.Message);
        Assert.Contains("'prompts'", e.Message);
        File.WriteAllText(Path.Combine(_dir, "config_sentence_transformers.json"), "{not json");
        Assert.Throws<KnowledgeException>(() => EmbeddingPrompts.FromModelFolder(_dir));
    }

    [Fact]
    public async Task Decorator_PrefixesEachSide()
    {
        var inner = new FakeEmbeddingGenerator();
        var prompts = new EmbeddingPrompts("query: ", "passage: ");
        var ct = TestContext.Current.CancellationToken;
        await PrefixedEmbeddingGenerator.ForQueries(inner, prompts).GenerateAsync(["年假"], cancellationToken: ct);
        await PrefixedEmbeddingGenerator.ForPassages(inner, prompts).GenerateAsync(["员工每年享有十五天年假。", "b"], cancellationToken: ct);
        Assert.Equal(["query: 年假", "passage: 员工每年享有十五天年假。", "passage: b"], inner.Inputs);
        Assert.Same(inner, PrefixedEmbeddingGenerator.ForPassages(inner, EmbeddingPrompts.ForModel("bge-small-en")!));
    }
}
