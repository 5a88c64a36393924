// `ragtune kb create DIR`: writes kb.json with the chunking, tokenizer, analyzer, embedding, index and reranker settings.
using System.CommandLine;
using RagTune.Engine.Training;
using System.Globalization;
using RagTune.Knowledge;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Loading;
using RagTune.Knowledge.Postgres;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Cli.Commands.Kb;

internal static class KbCreate
{
    public static Command Create()
    {
        var dir = KbConsole.DirectoryArgument();
        var levels = new Option<string>("--levels") { Description = "Chunk sizes in tokens, coarsest first (parent links between levels)", DefaultValueFactory = _ => "1024,256,128" };
        var overlap = new Option<int>("--overlap") { Description = "Overlap in tokens at every level", DefaultValueFactory = _ => 32 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Model folder whose tokenizer counts chunk tokens (default: an estimate)" };
        var chinese = new Option<string>("--chinese") { Description = "Chinese segmentation: jieba, bigram, or auto (= jieba)", DefaultValueFactory = _ => "auto" };
        var jiebaDict = new Option<string?>("--jieba-dict") { Description = "jieba dict.txt replacing the main dictionary (default: the built-in jieba 0.42.1 dictionary)" };
        var userDict = new Option<string?>("--user-dict") { Description = "jieba user dictionary: adds words to the main one and overrides their frequencies" };
        var stopWords = new Option<bool>("--stop-words") { Description = "Drop the built-in Chinese and English stop words" };
        var endpoint = new Option<string?>("--embedding-endpoint") { Description = "OpenAI-compatible embeddings server, e.g. http://localhost:11434/v1 (key from $OPENAI_API_KEY)" };
        var model = new Option<string?>("--embedding-model") { Description = "Embedding model name on that server; enables the dense route" };
        var modelDir = new Option<string?>("--embedding-model-dir") { Description = "Local embedding model folder run by the engine: a BERT-family encoder, a decoder embedder (Qwen3-Embedding, gte-Qwen2) or a `train embed --lora` adapter folder" };
        var index = new Option<string>("--index") { Description = "Vector index: exact or hnsw", DefaultValueFactory = _ => "exact" };
        var include = new Option<string[]>("--include") { Description = "Only files matching this glob (repeatable; ** spans folders)" };
        var exclude = new Option<string[]>("--exclude") { Description = "Never files matching this glob (repeatable)" };
        var textField = new Option<string>("--text-field") { Description = "JSON/JSONL: the field holding a record's text (dotted path for nested)", DefaultValueFactory = _ => "text" };
        var titleField = new Option<string?>("--title-field") { Description = "JSON/JSONL: the field holding a record's title" };
        var defaults = new DocumentLoadOptions();
        var maxChars = new Option<int>("--max-document-chars") { Description = "Longest text one document may have; longer files fail by name (a decompression bomb stops here)", DefaultValueFactory = _ => defaults.MaxDocumentChars };
        var maxInflated = new Option<int>("--max-decompressed-mb") { Description = "Most MiB a .docx may decompress to", DefaultValueFactory = _ => (int)(defaults.MaxDecompressedBytes >> 20) };
        var fusion = new Option<string>("--fusion") { Description = "Default fusion of BM25 and dense: rrf or weighted", DefaultValueFactory = _ => "rrf" };
        var store = new Option<string>("--store") { Description = "Where the knowledge base lives: embedded (the directory) or postgres (DIR links to it)", DefaultValueFactory = _ => "embedded" };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string for --store postgres, e.g. \"Host=db;Database=rag;Username=rag\" (password via PGPASSWORD)" };
        var reranker = new Option<string?>("--reranker") { Description = "Local reranker folder recorded for `kb search --rerank` and the server's rerank: a cross-encoder (BertForSequenceClassification / XLMRobertaForSequenceClassification, e.g. bge-reranker) or a Qwen3-Reranker-style decoder" };
        var rerankerInstruction = new Option<string?>("--reranker-instruction") { Description = "Decoder rerankers: the task after <Instruct>: (default: the model card's)" };
        var docRoute = new Option<string?>("--doc-route") { Description = "Document-level route for `kb search --hierarchical`, built as documents are added: first-chunk (each document's opening), summary (written by a teacher model, --summary-model) or mean (whole text for BM25, mean of the chunk vectors)" };
        var summaryModel = new Option<string?>("--summary-model") { Description = "--doc-route summary: the teacher chat model that writes the summaries (recorded in kb.json; key from $OPENAI_API_KEY)" };
        var summaryEndpoint = new Option<string?>("--summary-endpoint") { Description = "--doc-route summary: OpenAI-compatible base URL incl. /v1 (default api.openai.com)" };
        var schema = new Option<string>("--schema") { Description = "PostgreSQL schema of this knowledge base", DefaultValueFactory = _ => "ragtune" };

        var command = new Command("create", "Create an empty knowledge base directory")
        {
            dir, levels, overlap, tokenizer, chinese, jiebaDict, userDict, stopWords, endpoint, model, modelDir, index, include, exclude,
            textField, titleField, maxChars, maxInflated, fusion, store, connection, schema, reranker, rerankerInstruction, docRoute, summaryModel,
            summaryEndpoint,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new KnowledgeBaseOptions
            {
                Chunking = new HierarchicalChunkingOptions { Levels = ParseLevels(parse.GetValue(levels)!), OverlapTokens = parse.GetValue(overlap) },
                TokenizerPath = FullPathOrNull(parse.GetValue(tokenizer)),
                Lexical = new() { Analyzer = new AnalyzerOptions
                {
                    ChineseMode = ParseEnum<ChineseMode>("--chinese", parse.GetValue(chinese)!),
                    DictionaryPath = FullPathOrNull(parse.GetValue(jiebaDict)),
                    UserDictionaryPath = FullPathOrNull(parse.GetValue(userDict)),
                    StopWords = parse.GetValue(stopWords),
                } },
                Reader = new DocumentReaderOptions
                {
                    Include = parse.GetValue(include) ?? [],
                    Exclude = parse.GetValue(exclude) ?? [],
                    Load = new DocumentLoadOptions
                    {
                        TextField = parse.GetValue(textField)!,
                        TitleField = parse.GetValue(titleField),
                        MaxDocumentChars = Positive("--max-document-chars", parse.GetValue(maxChars)),
                        MaxDecompressedBytes = (long)Positive("--max-decompressed-mb", parse.GetValue(maxInflated)) << 20,
                    },
                },
                Embedding = Embedding(parse.GetValue(endpoint), parse.GetValue(model), FullPathOrNull(parse.GetValue(modelDir))),
                VectorIndex = new VectorIndexSettings { Kind = ParseEnum<VectorIndexKind>("--index", parse.GetValue(index)!) },
                Fusion = new FusionSettings { Method = ParseEnum<FusionMethod>("--fusion", parse.GetValue(fusion)!) },
                Reranker = Reranker(FullPathOrNull(parse.GetValue(reranker)), parse.GetValue(rerankerInstruction)),
                DocumentRoute = DocumentRoute(parse.GetValue(docRoute), parse.GetValue(summaryModel), parse.GetValue(summaryEndpoint)),
            };
            string path = parse.GetValue(dir)!;
            bool postgres = ParseStore(parse.GetValue(store)!, parse.GetValue(connection));
            await using var kb = postgres
                ? await KnowledgeBase.CreateAsync(path, new PostgresStoreOptions { ConnectionString = parse.GetValue(connection)!, Schema = parse.GetValue(schema)! }, options, cancellationToken: cancellationToken)
                : await KnowledgeBase.CreateAsync(path, options, cancellationToken: cancellationToken);
            var o = kb.Options;
            Console.Out.WriteLine($"created knowledge base {Path.GetFullPath(path)}{(postgres ? $" (PostgreSQL schema {parse.GetValue(schema)})" : "")}");
            Console.Out.WriteLine($"  chunks: levels {string.Join(",", o.Chunking.Levels)} tokens, overlap {o.Chunking.OverlapTokens}, tokenizer {o.TokenizerPath ?? "estimate"}");
            var analyzer = o.Lexical.Analyzer;
            string dictionary = analyzer.ChineseMode != ChineseMode.Jieba ? "" : $" ({analyzer.DictionaryPath ?? "built-in dictionary"}{(analyzer.UserDictionaryPath is { } u ? $" + {u}" : "")})";
            Console.Out.WriteLine($"  chinese: {analyzer.ChineseMode.ToString().ToLowerInvariant()}{dictionary}");
            Console.Out.WriteLine($"  embedding: {o.Embedding.Kind.ToString().ToLowerInvariant()}{((o.Embedding.ModelDirectory ?? o.Embedding.Model) is { } m ? $" {m}" : "")}, index {o.VectorIndex.Kind.ToString().ToLowerInvariant()}");
            Console.Out.WriteLine($"  reranker: {o.Reranker?.ModelDirectory ?? "none"}");
            Console.Out.WriteLine($"  document route: {(o.DocumentRoute is { } route ? KbConsole.Name(route.Kind) + (route.SummaryModel is { } sm ? $" by {sm}" : "") : "none")}");
            return 0;
        });
        return command;
    }

    private static EmbeddingSettings Embedding(string? endpoint, string? model, string? modelDir)
    {
        if (modelDir is not null)
        {
            if (endpoint is not null)
                throw new KnowledgeException("--embedding-model-dir and --embedding-endpoint were both given; expected a local model folder or a server, not both");
            return Local(modelDir, model);
        }
        // Without a server, a model that names an existing folder is a local model (e.g. one fetched with `ragtune pull`).
        if (model is not null && endpoint is null && Directory.Exists(model))
            return Local(Path.GetFullPath(model), null);
        if (model is not null) return new EmbeddingSettings { Kind = EmbeddingKind.OpenAI, Endpoint = endpoint, Model = model };
        if (endpoint is not null)
            throw new KnowledgeException($"--embedding-endpoint '{endpoint}' was given without --embedding-model; expected the model name the server knows");
        return new EmbeddingSettings();
    }

    /// <summary>The reranker folder, loaded once here so that a folder holding no reranker fails at create, by name.</summary>
    private static RerankerSettings? Reranker(string? folder, string? instruction)
    {
        if (folder is null)
            return instruction is null ? null
                : throw new KnowledgeException("--reranker-instruction was given without --reranker; expected the reranker folder it is for");
        using (LocalReranker.Load(folder, instruction)) { }
        return new RerankerSettings { ModelDirectory = folder, Instruction = instruction };
    }

    private static DocumentRouteSettings? DocumentRoute(string? kind, string? summaryModel, string? summaryEndpoint)
    {
        if (kind is null)
            return (summaryModel ?? summaryEndpoint) is null ? null
                : throw new KnowledgeException("--summary-model/--summary-endpoint were given without --doc-route summary; expected --doc-route summary");
        const string choices = "first-chunk, summary, mean";
        if (kind.Length == 0 || !char.IsAsciiLetter(kind[0]))
            throw new KnowledgeException($"--doc-route: '{kind}' is not a choice; expected one of {choices}");
        var parsed = ParseEnum<DocumentRouteKind>("--doc-route", kind.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal), choices);
        if (parsed == DocumentRouteKind.Summary && summaryModel is null)
            throw new KnowledgeException("--doc-route summary needs --summary-model NAME (the teacher chat model that writes the summaries) and optionally --summary-endpoint URL");
        if (parsed != DocumentRouteKind.Summary && (summaryModel ?? summaryEndpoint) is not null)
            throw new KnowledgeException($"--summary-model/--summary-endpoint were given with --doc-route {kind}; expected them only with --doc-route summary");
        return new DocumentRouteSettings { Kind = parsed, SummaryModel = summaryModel, SummaryEndpoint = summaryEndpoint };
    }

    private static bool ParseStore(string store, string? connection) => store.ToLowerInvariant() switch
    {
        "embedded" => connection is null ? false
            : throw new KnowledgeException("--connection was given with --store embedded; expected --store postgres"),
        "postgres" => connection is not null ? true
            : throw new KnowledgeException("--store postgres needs --connection \"Host=...;Database=...;Username=...\""),
        _ => throw new KnowledgeException($"--store: '{store}' is not a choice; expected embedded or postgres"),
    };

    private static EmbeddingSettings Local(string folder, string? name)
    {
        if (!File.Exists(Path.Combine(folder, "config.json")) && !File.Exists(Path.Combine(folder, PeftAdapter.ConfigFileName)))
            throw new KnowledgeException($"embedding model folder '{folder}' has no config.json; expected a Hugging Face embedding checkpoint folder "
                + "(a BERT-family encoder or a Qwen2/Qwen3/LLaMA decoder embedder: config.json, model.safetensors, tokenizer) or a `train embed --lora` adapter folder (adapter_config.json)");
        return new EmbeddingSettings { Kind = EmbeddingKind.Local, ModelDirectory = folder, Model = name };
    }

    private static int Positive(string option, int value) =>
        value > 0 ? value : throw new KnowledgeException($"{option} is {value}; expected a positive number");

    private static List<int> ParseLevels(string text)
    {
        var levels = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
                throw new KnowledgeException($"--levels: '{part}' is not a whole number; expected token sizes like 1024,256,128");
            levels.Add(value);
        }
        return levels;
    }

    internal static T ParseEnum<T>(string option, string value, string? choices = null) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new KnowledgeException($"{option}: '{value}' is not a choice; expected one of {choices ?? string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    private static string? FullPathOrNull(string? path) => path is null ? null : Path.GetFullPath(path);
}
