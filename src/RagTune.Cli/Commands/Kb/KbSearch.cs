// `ragtune kb search DIR QUERY`: hybrid retrieval shown as a table (rank, score, source, heading, snippet with the
// matched terms emphasised), or JSON lines with --json.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RagTune.Knowledge;
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
        var json = new Option<bool>("--json") { Description = "One JSON object per result instead of a table" };
        var command = new Command("search", "Search a knowledge base") { dir, query, k, routes, fusion, parent, parentLevel, filters, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var kb = await KnowledgeBase.OpenAsync(parse.GetValue(dir)!, cancellationToken: cancellationToken);
            var routeNames = parse.GetValue(routes)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var options = new KnowledgeSearchOptions
            {
                K = parse.GetValue(k),
                Routes = routeNames,
                Fusion = parse.GetValue(fusion) is { } f ? KbCreate.ParseEnum<FusionMethod>("--fusion", f) : null,
                ReturnParent = parse.GetValue(parent),
                ParentLevel = parse.GetValue(parentLevel),
                Filter = ParseFilter(parse.GetValue(filters) ?? []),
            };
            if (options.K < 1) throw new KnowledgeException($"-k is {options.K}; expected at least 1");
            var results = await kb.SearchAsync(parse.GetValue(query)!, options, cancellationToken);
            if (parse.GetValue(json)) WriteJson(results);
            else WriteTable(KbConsole.Results(), results);
            return 0;
        });
        return command;
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
