// Everything served, by model name: chat models (each behind its queue), adapters, embedding models, `rag:<kb>` pipelines
// and routers; knowledge bases for the search page. Built once at start-up from ServerOptions.
// A LoRA adapter is served as its own chat model: a LocalChatClient over its base model's TextGenerator (the same weights,
// loaded once however many adapters it serves) whose requests run with the PEFT adapter's AdapterSet, applied unmerged per
// session. Requests to the base and to each adapter interleave on the shared model; an adapter costs only its A and B.
using RagTune.Knowledge.Rag;
using Microsoft.Extensions.AI;
using RagTune.Engine;
using RagTune.Engine.AI;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Knowledge;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using RagTune.Server.Configuration;

namespace RagTune.Server.Models;

public sealed class ModelRegistry : IAsyncDisposable
{
    public const string RagPrefix = "rag:";

    private readonly Dictionary<string, IChatPipeline> _chat = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IEmbeddingGenerator<string, Embedding<float>> Generator, ModelGate Gate)> _embedding = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _adapters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _roots = new(StringComparer.Ordinal); // served name → its checkpoint or adapter folder (never shown: List gives the name)
    private readonly Dictionary<string, KnowledgeBase> _knowledgeBases = new(StringComparer.Ordinal);
    private readonly HashSet<string> _searchOnly = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _owned = [];

    private ModelRegistry() { }

    public IReadOnlyDictionary<string, KnowledgeBase> KnowledgeBases => _knowledgeBases;

    public static async Task<ModelRegistry> CreateAsync(ServerOptions options, ServerServices? services = null, CancellationToken cancellationToken = default)
    {
        services ??= new ServerServices();
        var registry = new ModelRegistry();
        try
        {
            await registry.LoadAsync(options, services, cancellationToken).ConfigureAwait(false);
            return registry;
        }
        catch
        {
            await registry.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task LoadAsync(ServerOptions options, ServerServices services, CancellationToken cancellationToken)
    {
        ModelGate Gate(string name) => new(name, options.MaxConcurrentPerModel, options.MaxQueuePerModel, options.RetryAfterSeconds);
        // The model and each of its adapters admit max_concurrent_per_model requests; all of them decode in one batch.
        BatchingOptions Batching(ModelEntry m) => new() { MaxStreams = options.MaxConcurrentPerModel * (1 + m.Adapters.Count) };
        foreach (var m in options.Models)
        {
            CheckName(m.Name, "models[].name");
            IChatClient? chatClient = null;
            switch (m.Kind.ToLowerInvariant())
            {
                case "chat":
                    chatClient = services.ChatClients.GetValueOrDefault(m.Name) ?? Own(LoadChat(m, Batching(m)));
                    _chat.Add(m.Name, new ModelPipeline(m.Name, chatClient, Gate(m.Name)));
                    break;
                case "embedding":
                    var generator = services.EmbeddingGenerators.GetValueOrDefault(m.Name) ?? Own(LoadEmbedding(m));
                    _embedding.Add(m.Name, (generator, Gate(m.Name)));
                    break;
                default:
                    throw new ServerException($"model '{m.Name}': kind '{m.Kind}' is unknown; expected chat or embedding");
            }
            _roots.Add(m.Name, m.Path);
            // The base every adapter of this model runs on: the served client itself, or (when the host supplied a client
            // that is not a local decoder) the checkpoint loaded once for all of them.
            LocalChatClient? baseClient = null;
            foreach (var a in m.Adapters)
            {
                CheckName(a.Name, $"models[{m.Name}].adapters[].name");
                if (chatClient is null)
                    throw new ServerException($"model '{m.Name}': adapter '{a.Name}' needs a chat base model; kind is '{m.Kind}'");
                baseClient ??= chatClient as LocalChatClient ?? Own(LoadChat(m, Batching(m)));
                var adapted = Own(LoadAdapter(m, a, baseClient));
                _chat.Add(a.Name, new ModelPipeline(a.Name, adapted, Gate(a.Name), "adapter"));
                _adapters.Add(a.Name, m.Name);
                _roots.Add(a.Name, a.Path);
            }
        }

        foreach (var kb in options.KnowledgeBases)
        {
            string name = RagPrefix + kb.Name;
            CheckName(name, "knowledge_bases[].name");
            // No generator: the knowledge base is served for search only (the search API and the UI's search page).
            ModelPipeline? model = null;
            if (kb.Generator.Length > 0 && (!_chat.TryGetValue(kb.Generator, out var generator) || (model = generator as ModelPipeline) is null))
                throw new ServerException($"knowledge base '{kb.Name}': generator '{kb.Generator}' is not a served chat model; expected one of: {string.Join(", ", _chat.Keys)}, or no generator to serve it for search only");
            if (model is null) _searchOnly.Add(kb.Name);
            if (!services.Retrievers.TryGetValue(kb.Name, out var retriever))
            {
                IEmbeddingGenerator<string, Embedding<float>>? embedder = null;
                if (kb.EmbeddingModel is { } e && !_embedding.TryGetValue(e, out var found))
                    throw new ServerException($"knowledge base '{kb.Name}': embedding_model '{e}' is not a served embedding model");
                else if (kb.EmbeddingModel is { } e2) embedder = _embedding[e2].Generator;
                KnowledgeBase opened;
                try
                {
                    var store = await KnowledgeBase.OpenStoreAsync(kb.Path, cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (kb.Hierarchical && store.Options.DocumentRoute is null)
                            throw new ServerException($"knowledge base '{kb.Name}': hierarchical is true but '{Path.Combine(kb.Path, "kb.json")}' has no 'document_route' field; expected a knowledge base created with `ragtune kb create --doc-route first-chunk|summary|mean` (or hierarchical: false)");
                        opened = new KnowledgeBase(store, new KnowledgeBaseOpenOptions { EmbeddingGenerator = embedder, Reranker = LoadReranker(kb, store.Options) });
                    }
                    catch
                    {
                        await store.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }
                }
                catch (KnowledgeException ex)
                {
                    throw new ServerException($"knowledge base '{kb.Name}' at '{kb.Path}': {ex.Message}", ex);
                }
                _knowledgeBases.Add(kb.Name, opened);
                retriever = new KnowledgeBaseRetriever(opened, kb.Rerank,
                    new KnowledgeSearchOptions { Hierarchical = kb.Hierarchical, Documents = kb.HierarchicalDocuments });
            }
            if (model is not null) _chat.Add(name, new RagPipeline(name, retriever, model, kb, PromptFormat(kb)));
        }

        foreach (var r in options.Routers)
        {
            CheckName(r.Name, "routers[].name");
            var targets = new Dictionary<string, IChatPipeline>(StringComparer.Ordinal);
            foreach (string t in r.Rules.Select(x => x.Target).Append(r.Default).Concat(r.Classifier?.Labels.Values.AsEnumerable() ?? []))
            {
                if (!_chat.TryGetValue(t, out var target) || target is RouterPipeline)
                    throw new ServerException($"router '{r.Name}': target '{t}' is not a served chat model or rag:<kb>");
                targets.TryAdd(t, target);
            }
            if (!services.Routers.TryGetValue(r.Name, out var router))
            {
                IChatClient? classifier = null;
                if (r.Classifier is { } c)
                {
                    if (!_chat.TryGetValue(c.Model, out var found) || found is not ModelPipeline cm)
                        throw new ServerException($"router '{r.Name}': classifier model '{c.Model}' is not a served chat model");
                    classifier = cm.Client;
                }
                router = ConfiguredRouter.Create(r, classifier);
            }
            _chat.Add(r.Name, new RouterPipeline(r.Name, router, r.Default, targets));
        }
    }

    /// <summary>With rerank: the configured reranker folder, else the one kb.json records — loaded now, so a wrong folder
    /// stops the start instead of the first request; neither is one clear error. Without rerank: none (searches never
    /// rerank). The registry owns what it loads.</summary>
    private LocalReranker? LoadReranker(KnowledgeBaseEntry kb, KnowledgeBaseOptions options)
    {
        if (!kb.Rerank)
            return kb.Reranker is null ? null
                : throw new ServerException($"knowledge base '{kb.Name}': reranker '{kb.Reranker}' is set but rerank is false; expected rerank: true to use it (or no reranker)");
        if (kb.Reranker is { } folder) return Own(LocalReranker.Load(folder));
        if (options.Reranker is { } recorded) return Own(LocalReranker.Load(recorded.ModelDirectory, recorded.Instruction));
        throw new ServerException($"knowledge base '{kb.Name}': rerank is true but no reranker is configured; expected knowledge_bases[].reranker (a reranker model folder) or a knowledge base created with `ragtune kb create --reranker DIR`");
    }

    /// <summary>The knowledge base's prompt_format file when set, else the format recorded in the generator's folder (a model or
    /// adapter trained by `ragtune train sft` carries the format of its data), else the default.</summary>
    private RagPromptFormat PromptFormat(KnowledgeBaseEntry kb)
    {
        try
        {
            if (kb.PromptFormat is { } file) return RagPromptFormat.Load(file);
            return _roots.TryGetValue(kb.Generator, out var root) && Directory.Exists(root)
                ? RagPromptFormat.TryLoadFrom(root) ?? RagPromptFormat.Default
                : RagPromptFormat.Default;
        }
        catch (KnowledgeException e)
        {
            throw new ServerException($"knowledge base '{kb.Name}': {e.Message}", e);
        }
    }

    private void CheckName(string name, string field)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ServerException($"server config: {field} is empty; expected a model name");
        if (_chat.ContainsKey(name) || _embedding.ContainsKey(name) || _adapters.ContainsKey(name))
            throw new ServerException($"server config: {field} '{name}' is served twice; expected unique model names");
    }

    private T Own<T>(T value) where T : IDisposable
    {
        _owned.Add(value);
        return value;
    }

    private static LocalChatClient LoadChat(ModelEntry m, BatchingOptions batching)
    {
        try
        {
            return LocalChatClient.Load(m.Path, new LocalChatClientOptions { ModelId = m.Name, DefaultMaxOutputTokens = m.DefaultMaxTokens, Batching = batching });
        }
        catch (EngineException e)
        {
            throw new ServerException($"model '{m.Name}' at '{m.Path}': {e.Message}", e);
        }
    }

    /// <summary>A client over <paramref name="baseClient"/>'s model (shared, not copied) whose requests apply the PEFT
    /// adapter in <paramref name="a"/>'s folder.</summary>
    private static LocalChatClient LoadAdapter(ModelEntry m, AdapterEntry a, LocalChatClient baseClient)
    {
        try
        {
            var generator = baseClient.Generator;
            var options = new LocalChatClientOptions { ModelId = a.Name, DefaultMaxOutputTokens = m.DefaultMaxTokens };
            // A prompt-tuning adapter puts its virtual tokens before each request's prompt; a LoRA one runs unmerged.
            options = PromptTuning.IsPromptTuning(a.Path)
                ? options with { PromptTuning = PromptTuning.Load(a.Path, generator.Model.Config.HiddenSize) }
                : options with { Adapters = PeftAdapter.Load(a.Path, generator.Model.LayerLinears) };
            return new LocalChatClient(generator, baseClient.Template, a.Name, options);
        }
        catch (EngineException e)
        {
            throw new ServerException($"adapter '{a.Name}' at '{a.Path}' (base model '{m.Name}' at '{m.Path}'): {e.Message}", e);
        }
    }

    private static LocalEmbeddingGenerator LoadEmbedding(ModelEntry m)
    {
        try
        {
            return LocalEmbeddingGenerator.Load(m.Path, m.Name);
        }
        catch (EngineException e)
        {
            throw new ServerException($"model '{m.Name}' at '{m.Path}': {e.Message}", e);
        }
    }

    /// <summary>The chat pipeline for a request's model name, or the OpenAI-shaped error for an unknown or embedding name.</summary>
    public IChatPipeline GetChat(string? name)
    {
        if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest("'model' is required", "model");
        if (_chat.TryGetValue(name, out var p)) return p;
        if (_embedding.ContainsKey(name)) throw ApiException.BadRequest($"model '{name}' is an embedding model; use /v1/embeddings", "model", "wrong_model_kind");
        if (_chat.Count == 0)
            throw new ApiException(503, $"no chat model is configured: this server serves knowledge-base search only (GET /api/kb/NAME/search), so it cannot answer '{name}'; start it with --model NAME=DIR (or models: in the config) to chat",
                "service_unavailable", "no_chat_model", "model");
        if (name.StartsWith(RagPrefix, StringComparison.Ordinal) && _searchOnly.Contains(name[RagPrefix.Length..]))
        {
            string kb = name[RagPrefix.Length..];
            throw new ApiException(503, $"knowledge base '{kb}' is served for search only (GET /api/kb/{kb}/search): no chat model is configured as its generator; set knowledge_bases[].generator to a served chat model to chat with it",
                "service_unavailable", "no_chat_model", "model");
        }
        throw ApiException.NotFound($"The model '{name}' does not exist", "model");
    }

    public (IEmbeddingGenerator<string, Embedding<float>> Generator, ModelGate Gate) GetEmbedding(string? name)
    {
        if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest("'model' is required", "model");
        if (_embedding.TryGetValue(name, out var e)) return e;
        if (_chat.ContainsKey(name) || _adapters.ContainsKey(name))
            throw ApiException.BadRequest($"model '{name}' is not an embedding model", "model", "wrong_model_kind");
        throw ApiException.NotFound($"The model '{name}' does not exist", "model");
    }

    /// <summary>Every served name with its kind (chat, embedding, adapter, rag, router), its parent (an adapter's base
    /// model, as vLLM reports it) and its root (the checkpoint or adapter folder, as vLLM reports it, by its name only: a
    /// client never learns the server's paths).</summary>
    public IReadOnlyList<(string Name, string Kind, string? Parent, string? Root)> List()
    {
        var list = new List<(string, string, string?, string?)>();
        list.AddRange(_chat.Values.Select(p => (p.Name, p.Kind, _adapters.GetValueOrDefault(p.Name), RootName(p.Name))));
        list.AddRange(_embedding.Keys.Select(n => (n, "embedding", (string?)null, RootName(n))));
        return list;
    }

    private string? RootName(string name) =>
        _roots.TryGetValue(name, out var path) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(path)) : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var kb in _knowledgeBases.Values) await kb.DisposeAsync().ConfigureAwait(false);
        foreach (var d in _owned) d.Dispose();
    }
}
