// `ragtune train mine-negatives`: hard negatives for embedding fine-tuning from a knowledge base, as FlagEmbedding's hn_mine
// does: search each query, keep the hits ranked in [skip-top, range-end), drop the positives (and texts equal to them or to
// the query), sample N of the rest, and write FlagEmbedding JSONL (query, pos, neg, prompt) for `train embed`.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.IO;
using RagTune.Engine.Training;
using RagTune.Knowledge;
using RagTune.Knowledge.Store;

namespace RagTune.Cli.Commands;

internal static class TrainMineNegativesCommand
{
    public static Command Create()
    {
        var kb = new Option<string>("--kb") { Description = "Knowledge base folder to mine from", Required = true };
        var input = new Option<string>("--input") { Description = "JSONL with query and pos (string or list), prompt optional", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "FlagEmbedding JSONL to write (query, pos, neg)", Required = true };
        var negatives = new Option<int>("--negatives") { Description = "Hard negatives per query (hn_mine's negative_number)", DefaultValueFactory = _ => 15 };
        var skipTop = new Option<int>("--skip-top") { Description = "Ignore the first M hits, which are often unlabelled positives", DefaultValueFactory = _ => 2 };
        var rangeEnd = new Option<int>("--range-end") { Description = "Sample from hits ranked below this (hn_mine's range_for_sampling end)", DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampling among the candidates", DefaultValueFactory = _ => 42UL };
        var command = new Command("mine-negatives", "Mine hard negatives for `train embed` from a knowledge base")
        {
            kb, input, output, negatives, skipTop, rangeEnd, seed,
        };
        TerminationSignals.SetAction(command, async (p, cancellationToken) =>
        {
            int n = p.GetValue(negatives), skip = p.GetValue(skipTop), end = p.GetValue(rangeEnd);
            if (n < 1 || skip < 0 || end <= skip)
                throw new KnowledgeException($"mine-negatives: expected --negatives ≥ 1 and 0 ≤ --skip-top < --range-end, got {n}, {skip}, {end}");
            await using var knowledge = await KnowledgeBase.OpenAsync(p.GetValue(kb)!, cancellationToken: cancellationToken);
            var (queries, short_) = await MineAsync(knowledge, p.GetValue(input)!, p.GetValue(output)!, n, skip, end, p.GetValue(seed), cancellationToken);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{queries} queries mined, {short_} with fewer than {n} negatives in ranks {skip}–{end}"));
            Console.Out.WriteLine(p.GetValue(output));
            return 0;
        });
        return command;
    }

    /// <summary>Writes one FlagEmbedding line per input line; returns (queries, queries with fewer than n negatives).</summary>
    internal static async Task<(int Queries, int Short)> MineAsync(KnowledgeBase kb, string input, string output, int n, int skipTop, int rangeEnd,
        ulong seed, CancellationToken cancellationToken)
    {
        if (!File.Exists(input)) throw new KnowledgeException($"{input}: query file not found");
        var rng = new TrainingRandom(seed);
        int queries = 0, shortCount = 0, line = 0;
        var lines = new List<string>();
        foreach (var raw in File.ReadLines(input))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            var (query, pos, prompt) = Parse(input, line, raw);
            var excluded = new HashSet<string>(pos.Select(Normalize)) { Normalize(query) };
            var hits = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = rangeEnd }, cancellationToken).ConfigureAwait(false);
            var candidates = new List<string>();
            foreach (var hit in hits.Skip(skipTop))
                if (excluded.Add(Normalize(hit.Text)))   // a positive, the query, or a text already taken: never a negative
                    candidates.Add(hit.Text);
            if (candidates.Count > n)
            {
                rng.Shuffle(candidates);   // hn_mine's random.sample over the range
                candidates.RemoveRange(n, candidates.Count - n);
            }
            else if (candidates.Count < n)
                shortCount++;
            var record = new JsonObject
            {
                ["query"] = query,
                ["pos"] = new JsonArray([.. pos.Select(x => (JsonNode?)x)]),
                ["neg"] = new JsonArray([.. candidates.Select(x => (JsonNode?)x)]),
            };
            if (prompt is not null) record["prompt"] = prompt;
            lines.Add(record.ToJsonString());
            queries++;
        }
        if (queries == 0) throw new KnowledgeException($"{input}: no queries");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
        if (dir is not null) Directory.CreateDirectory(dir);
        // All or nothing: a cancelled or crashed run must not leave a truncated file that `train embed` would accept.
        await AtomicFile.WriteTextAsync(output, string.Concat(lines.Select(l => l + "\n")), cancellationToken).ConfigureAwait(false);
        return (queries, shortCount);
    }

    private static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static (string Query, string[] Pos, string? Prompt) Parse(string path, int line, string raw)
    {
        try
        {
            using var doc = JsonDocument.Parse(raw);
            var e = doc.RootElement;
            string query = e.GetProperty("query").GetString() ?? throw new KnowledgeException($"{path}:{line}: 'query' is null, expected a string");
            var p = e.GetProperty("pos");
            string[] pos = p.ValueKind == JsonValueKind.String ? [p.GetString()!] : p.EnumerateArray().Select(x => x.GetString()!).ToArray();
            if (pos.Length == 0) throw new KnowledgeException($"{path}:{line}: 'pos' is empty, expected at least one positive passage");
            string? prompt = e.TryGetProperty("prompt", out var pr) && pr.ValueKind == JsonValueKind.String ? pr.GetString() : null;
            return (query, pos, prompt);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new KnowledgeException($"{path}:{line}: expected {{\"query\": str, \"pos\": str or [str]}} ({ex.Message})", ex);
        }
    }
}
