// `ragtune kb search DIR QUERY`: hybrid retrieval shown as a table (rank, score, source, heading, snippet with the
// matched terms emphasised), or JSON lines with --json. --rerank reorders the fused head with the knowledge base's
// reranker, a reranker folder given on the spot, or an LLM judge (--rerank llm --judge-model NAME).
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RagTune.Knowledge;
using RagTune.Raft.Clients;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using Spectre.Console;

namespace RagTune.Cli.Commands.Kb;

internal static class KbSearch
{
    public static Command Create()
    {
        var dir = KbConsole.DirectoryArgument();
        var query = new Argument<string>("query") { Description = "What to look for (Chinese or any other language)" };
        var k = new Option<int>("-k", "--top") { Description = "Number of results", DefaultValueFactory = _ => 5 };
        var routes = new Option<string?>("--routes") { Description = "bm25, dense or bm25,dense (default: every route the knowledge base has)" };
        var fusion = new Option<string?>("--fusion") { Description = "rrf or weighted (default: as created)" };
        var parent = new Option<bool>("--parent") { Description = "Match fine chunks, show their parent chunks (deduplicated)" };
        var parentLevel = new Option<int?>("--parent-level") { Description = "With --parent: the level to show (0 = coarsest; default one level up)" };
        var filters = new Option<string[]>("--filter") { Description = "key=value (or key^=prefix) on chunk metadata: source, title, heading, page, front-matter fields; repeatable (all must hold)" };
        var hierarchical = new Option<bool>("--hierarchical") { Description = "Document first: rank documents on the document route (kb create --doc-route), then only the chunks of the best --docs" };
        var docs = new Option<int>("--docs") { Description = "With --hierarchical: documents whose chunks are searched", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "One JSON object per result instead of a table" };
        var rerank = new Option<string?>("--rerank")
        {
            Description = "Rerank the fused hits (put it after the query): alone with the reranker recorded at kb create, or with a reranker folder, or 'llm' for an LLM judge (--judge-model)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var judgeModel = new Option<string?>("--judge-model") { Description = "--rerank llm: the chat model that grades each passage 0–10" };
        var judgeEndpoint = new Option<string?>("--judge-endpoint") { Description = "--rerank llm: OpenAI-compatible base URL incl. /v1 (default api.openai.com; key from $OPENAI_API_KEY)" };
        var command = new Command("search", "Search a knowledge base") { dir, query, k, routes, fusion, parent, parentLevel, filters, hierarchical, docs, json, rerank, judgeModel, judgeEndpoint };
        command.SetAction(async (parse, cancellationToken) =>
        {
            bool reranks = parse.GetResult(rerank) is not null;
            using var given = reranks ? GivenReranker(parse.GetValue(rerank), parse.GetValue(judgeModel), parse.GetValue(judgeEndpoint)) : null;
            if (!reranks && (parse.GetValue(judgeModel) ?? parse.GetValue(judgeEndpoint)) is not null)
                throw new KnowledgeException("--judge-model/--judge-endpoint were given without --rerank llm; expected --rerank llm to use the LLM judge");
            await using var kb = await KnowledgeBase.OpenAsync(parse.GetValue(dir)!, new KnowledgeBaseOpenOptions { Reranker = given?.Reranker }, cancellationToken);
            var routeNames = parse.GetValue(routes)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var options = new KnowledgeSearchOptions
            {
                K = parse.GetValue(k),
                Routes = routeNames,
                Fusion = parse.GetValue(fusion) is { } f ? KbCreate.ParseEnum<FusionMethod>("--fusion", f) : null,
                ReturnParent = parse.GetValue(parent),
                ParentLevel = parse.GetValue(parentLevel),
                Filter = ParseFilter(parse.GetValue(filters) ?? []),
                Rerank = reranks,
                Hierarchical = parse.GetValue(hierarchical),
                Documents = parse.GetValue(docs),
            };
            if (options.K < 1) throw new KnowledgeException($"-k is {options.K}; expected at least 1");
            if (options.Documents < 1) throw new KnowledgeException($"--docs is {options.Documents}; expected at least 1");
            if (!options.Hierarchical && parse.GetResult(docs) is { Implicit: false })
                throw new KnowledgeException("--docs was given without --hierarchical; expected --hierarchical --docs N");
            var results = await kb.SearchAsync(parse.GetValue(query)!, options, cancellationToken);
            if (parse.GetValue(json)) WriteJson(results);
            else WriteTable(KbConsole.Results(), results);
            return 0;
        });
        return command;
    }

    /// <summary>The reranker --rerank names: null (the knowledge base's own), "llm" (an LLM judge over --judge-model), or a
    /// local reranker folder. Disposing releases what was loaded here.</summary>
    private static GivenRerankerScope? GivenReranker(string? value, string? judgeModel, string? judgeEndpoint)
    {
        if (value is null)
            return judgeModel is null ? null : throw new KnowledgeException("--judge-model was given with --rerank alone; expected --rerank llm");
        if (value.Equals("llm", StringComparison.OrdinalIgnoreCase))
        {
            if (judgeModel is null)
                throw new KnowledgeException("--rerank llm needs --judge-model NAME (the chat model that grades passages) and optionally --judge-endpoint URL");
            Uri? endpoint = null;
            if (judgeEndpoint is not null && !Uri.TryCreate(judgeEndpoint, UriKind.Absolute, out endpoint))
                throw new KnowledgeException($"--judge-endpoint '{judgeEndpoint}' is not an absolute URL; expected e.g. http://localhost:11434/v1");
            var client = OpenAICompatibleChatClient.Create(judgeModel, endpoint, apiKey: null);
            return new GivenRerankerScope(new LlmJudgeReranker(client), client);
        }
        if (judgeModel is not null)
            throw new KnowledgeException($"--judge-model was given with --rerank '{value}'; expected --rerank llm");
        if (!Directory.Exists(value))
            throw new KnowledgeException($"--rerank '{value}': no such folder; expected a reranker model folder, 'llm', or --rerank alone for the knowledge base's reranker");
        var local = LocalReranker.Load(Path.GetFullPath(value));
        return new GivenRerankerScope(local, local);
    }

    private sealed class GivenRerankerScope(IReranker reranker, IDisposable owned) : IDisposable
    {
        public IReranker Reranker => reranker;
        public void Dispose() => owned.Dispose();
    }

    internal static MetadataFilter? ParseFilter(IReadOnlyList<string> expressions)
    {
        var parts = new List<MetadataFilter>();
        foreach (var expression in expressions)
        {
            int eq = expression.IndexOf('=');
            if (eq <= 0)
                throw new KnowledgeException($"--filter '{expression}': no key before '='; expected key=value or key^=prefix (e.g. source^=docs/)");
            bool prefix = expression[eq - 1] == '^';
            string key = expression[..(prefix ? eq - 1 : eq)].Trim();
            if (key.Length == 0)
                throw new KnowledgeException($"--filter '{expression}': empty key; expected key=value or key^=prefix");
            string value = expression[(eq + 1)..];
            parts.Add(prefix ? MetadataFilter.Prefix(key, value) : MetadataFilter.Equal(key, value));
        }
        return parts.Count == 0 ? null : MetadataFilter.And([.. parts]);
    }

    private static void WriteTable(IAnsiConsole console, IReadOnlyList<KnowledgeSearchResult> results)
    {
        if (results.Count == 0)
        {
            console.WriteLine("no results");
            return;
        }
        bool color = console.Profile.Capabilities.ColorSystem != ColorSystem.NoColors;
        var table = new Table().AddColumn(new TableColumn("#").RightAligned()).AddColumn(new TableColumn("score").RightAligned())
            .AddColumn("source").AddColumn("heading").AddColumn("snippet");
        foreach (var r in results)
        {
            table.AddRow(
                r.Rank.ToString(CultureInfo.InvariantCulture),
                r.Score.ToString("0.0000", CultureInfo.InvariantCulture),
                Markup.Escape($"{r.DocumentId}\n{r.ChunkId[(r.DocumentId.Length + 2)..]} [{r.Route}]"),
                Markup.Escape(string.Join(" › ", r.HeadingPath)),
                KbSnippet.Build(r.Text, r.Highlights, 200, color));
        }
        console.Write(table);
    }

    private static void WriteJson(IReadOnlyList<KnowledgeSearchResult> results)
    {
        foreach (var r in results)
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                rank = r.Rank, score = r.Score, route = r.Route, chunk_id = r.ChunkId, document_id = r.DocumentId, level = r.Level,
                source = r.RelativePath, source_path = r.SourcePath, title = r.Title, heading_path = r.HeadingPath,
                start_char = r.StartChar, end_char = r.EndChar, matched_terms = r.MatchedTerms, text = r.Text,
            }, JsonOptions));
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
