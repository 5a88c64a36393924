// Options shared by `ragtune raft …` and `ragtune distill`: the chunk source, the teacher, the run directory, budget and prices.
using System.CommandLine;
using System.Globalization;
using RagTune.Knowledge.Store;
using RagTune.Raft;
using RagTune.Raft.Clients;
using RagTune.Raft.Costs;
using RagTune.Raft.Generation;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;
using RagTune.Raft.Teachers;

namespace RagTune.Cli.Commands;

/// <summary>Declares option groups on a command and turns parsed values into RAFT-layer objects.</summary>
internal sealed class RaftCliOptions
{
    public Option<string?> Docs { get; } = new("--docs") { Description = "Folder of documents, read as `kb add` reads them (txt, md, html, docx, pdf, json) and split into chunks" };
    public Option<string?> Chunks { get; } = new("--chunks") { Description = "JSONL of chunks {id, document_id, text, title} (e.g. exported from a knowledge base)" };
    public Option<string?> Kb { get; } = new("--kb") { Description = "Knowledge base directory (`ragtune kb create/add`): its chunks are the source, and hard negatives come from its search" };
    public Option<int?> KbLevel { get; } = new("--kb-level") { Description = "With --kb: chunk level to generate from (0 = coarsest; default the finest indexed level)" };
    public Option<int> ChunkChars { get; } = new("--chunk-chars") { Description = "Largest chunk made from --docs, in characters", DefaultValueFactory = _ => 1500 };

    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "OpenAI-compatible base URL incl. /v1 (default api.openai.com), e.g. http://localhost:11434/v1" };
    public Option<string> Model { get; } = new("--model") { Description = "Teacher model name", Required = true };
    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "API key (default: $RAGTUNE_TEACHER_API_KEY or $OPENAI_API_KEY)" };
    public Option<bool> Stream { get; } = new("--stream") { Description = "Use streaming responses" };
    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "Teacher requests in flight at once", DefaultValueFactory = _ => 4 };
    public Option<double> Timeout { get; } = new("--timeout") { Description = "Per-request timeout in seconds", DefaultValueFactory = _ => 180 };
    public Option<int> MaxAttempts { get; } = new("--max-attempts") { Description = "Attempts per request on 429/5xx/timeouts", DefaultValueFactory = _ => 6 };
    public Option<double> Backoff { get; } = new("--backoff") { Description = "First retry delay in seconds (doubles each retry, with jitter; Retry-After wins)", DefaultValueFactory = _ => 1.0 };
    public Option<float?> Temperature { get; } = new("--temperature") { Description = "Sampling temperature (default: the server's)" };

    public Option<string> Run { get; } = new("--run") { Description = "Run directory (settings + journal; rerun to resume)", Required = true };
    public Option<bool> Force { get; } = new("--force") { Description = "Start over when the run directory holds different settings (old journal kept as .bak)" };
    public Option<decimal?> MaxCost { get; } = new("--max-cost") { Description = "Stop starting new work once this many USD are spent (resumable)" };
    public Option<string?> Prices { get; } = new("--prices") { Description = "JSON price table {model: {input, output}} in USD per 1M tokens" };

    public void AddSource(Command c)
    {
        c.Options.Add(Docs);
        c.Options.Add(Chunks);
        c.Options.Add(Kb);
        c.Options.Add(KbLevel);
        c.Options.Add(ChunkChars);
    }

    public void AddTeacher(Command c)
    {
        foreach (var o in new Option[] { Endpoint, Model, ApiKey, Stream, Concurrency, Timeout, MaxAttempts, Backoff, Temperature, Run, Force, MaxCost, Prices })
            c.Options.Add(o);
    }

    /// <summary>True when a source option was given (export mines negatives only then).</summary>
    public bool HasSource(ParseResult r) => r.GetValue(Docs) is not null || r.GetValue(Chunks) is not null || r.GetValue(Kb) is not null;

    /// <summary>Loads the chunks of the one source given; a knowledge base stays open in the result (dispose it).</summary>
    public async Task<RaftCorpus> LoadCorpusAsync(ParseResult r, CancellationToken ct)
    {
        var docs = r.GetValue(Docs);
        var chunks = r.GetValue(Chunks);
        var kb = r.GetValue(Kb);
        if (new[] { docs, chunks, kb }.Count(v => v is not null) != 1)
            throw new RaftException("give exactly one of --docs FOLDER, --chunks FILE.jsonl or --kb DIR");
        if (r.GetValue(KbLevel) is not null && kb is null)
            throw new RaftException("--kb-level was given without --kb: expected a knowledge base directory with it");
        if (chunks is not null)
        {
            var loaded = await new JsonlChunkSource(chunks).LoadChunksAsync(ct);
            return new RaftCorpus(loaded, await RaftKnowledgeBase.FromChunksAsync(loaded, ct));
        }
        var knowledgeBase = docs is not null
            ? await RaftKnowledgeBase.FromFolderAsync(docs, r.GetValue(ChunkChars), ct)
            : await KnowledgeBase.OpenAsync(kb!, cancellationToken: ct);
        try
        {
            return new RaftCorpus(await new KnowledgeBaseChunkSource(knowledgeBase, r.GetValue(KbLevel)).LoadChunksAsync(ct), knowledgeBase);
        }
        catch
        {
            await knowledgeBase.DisposeAsync();
            throw;
        }
    }

    public PriceTable LoadPrices(ParseResult r) => r.GetValue(Prices) is { } p ? PriceTable.Load(p) : PriceTable.Defaults;

    public ChatClientTeacher CreateTeacher(ParseResult r)
    {
        Uri? endpoint = null;
        if (r.GetValue(Endpoint) is { } e && !Uri.TryCreate(e, UriKind.Absolute, out endpoint))
            throw new RaftException($"--endpoint '{e}' is not an absolute URL: expected e.g. http://localhost:11434/v1");
        return OpenAITeacher.Create(new OpenAITeacherOptions
        {
            Endpoint = endpoint,
            ApiKey = r.GetValue(ApiKey),
            Model = r.GetValue(Model)!,
            Stream = r.GetValue(Stream),
        }, new ResilienceOptions
        {
            MaxConcurrency = r.GetValue(Concurrency),
            MaxAttempts = r.GetValue(MaxAttempts),
            RequestTimeout = TimeSpan.FromSeconds(r.GetValue(Timeout)),
            InitialBackoff = TimeSpan.FromSeconds(r.GetValue(Backoff)),
        });
    }

    public RaftRunOptions RunOptions(ParseResult r, IProgress<RaftProgress>? progress) => new()
    {
        Force = r.GetValue(Force),
        MaxCostUsd = r.GetValue(MaxCost),
        Progress = progress,
    };

    /// <summary>auto → null (detect per text), en, zh.</summary>
    public static RaftLanguage? ParseLanguage(string value, string option) => value switch
    {
        "auto" => null,
        "en" => RaftLanguage.English,
        "zh" => RaftLanguage.Chinese,
        _ => throw new RaftException($"{option} '{value}' is invalid: expected auto, en or zh"),
    };

    public static string Usd(decimal? v) => v is { } d ? "$" + d.ToString("0.0000", CultureInfo.InvariantCulture) : "unknown (no price for this model: pass --prices)";
}
