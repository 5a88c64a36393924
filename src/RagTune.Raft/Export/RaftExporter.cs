// Writes a run's examples in every trainer's format: RAFT (gorilla/LlamaIndex), chat, completion, eval, LLaMA-Factory, FlagEmbedding.
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using RagTune.Engine.IO;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Export;

/// <summary>
/// rag_format.json (the prompt contract the instructions were built with) and one file per format and split (train/test): raft_*.jsonl, chat_*.jsonl, completion_*.jsonl, eval_*.jsonl,
/// flagembedding_*.jsonl, and llamafactory/{alpaca,sharegpt}_*.json + llamafactory/dataset_info.json. JSONL files are
/// UTF-8 without BOM, one object per line, keys in the order the reference tools write them. Every file is written through
/// AtomicFile: an export interrupted by a crash or a cancellation leaves each file either as it was or complete.
/// </summary>
public static class RaftExporter
{
    public const string BgeQueryPromptEn = "Represent this sentence for searching relevant passages: ";
    public const string BgeQueryPromptZh = "为这个句子生成表示以用于检索相关文章：";

    private static readonly string[] Splits = ["train", "test"];

    public static async Task<RaftExportResult> ExportAsync(string runDirectory, string outputDirectory, RaftExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RaftExportOptions();
        var data = RaftDataset.Load(runDirectory);
        Directory.CreateDirectory(outputDirectory);
        // The exported files' prompt: the run's, with the export's system message when one is given; recorded beside them.
        var format = options.SystemPrompt is { } given ? data.Format with { SystemPrompt = given } : data.Format;
        var system = format.SystemPrompt;
        var files = new List<string> { format.Save(outputDirectory) };
        var f = options.Formats;
        var info = new JsonObject();
        foreach (var split in Splits)
        {
            var examples = data.Examples.Where(e => e.Split == split).ToList();
            if (f.HasFlag(RaftExportFormats.Raft))
                files.Add(WriteLines(outputDirectory, $"raft_{split}.jsonl", examples.Select(RaftLine), cancellationToken));
            if (f.HasFlag(RaftExportFormats.Chat))
                files.Add(WriteLines(outputDirectory, $"chat_{split}.jsonl", examples.Select(e => ChatLine(e, system)), cancellationToken));
            if (f.HasFlag(RaftExportFormats.Completion))
                files.Add(WriteLines(outputDirectory, $"completion_{split}.jsonl", examples.Select(e => new JsonObject { ["prompt"] = e.Instruction, ["completion"] = e.CotAnswer }), cancellationToken));
            if (f.HasFlag(RaftExportFormats.Eval))
                files.Add(WriteLines(outputDirectory, $"eval_{split}.jsonl", examples.Select(EvalLine), cancellationToken));
            if (f.HasFlag(RaftExportFormats.Alpaca))
            {
                var name = $"alpaca_{split}.json";
                files.Add(WriteJson(outputDirectory, Path.Combine("llamafactory", name), new JsonArray(examples.Select(e => (JsonNode)Alpaca(e, system)).ToArray())));
                info[$"{options.DatasetName}_alpaca_{split}"] = AlpacaInfo(name, system is not null);
            }
            if (f.HasFlag(RaftExportFormats.ShareGpt))
            {
                var name = $"sharegpt_{split}.json";
                files.Add(WriteJson(outputDirectory, Path.Combine("llamafactory", name), new JsonArray(examples.Select(e => (JsonNode)ShareGpt(e, system)).ToArray())));
                info[$"{options.DatasetName}_sharegpt_{split}"] = ShareGptInfo(name, system is not null);
            }
            if (f.HasFlag(RaftExportFormats.FlagEmbedding))
            {
                // Mining negatives can take a while: the lines stream into the temporary file as they are mined.
                var path = Path.Combine(outputDirectory, $"flagembedding_{split}.jsonl");
                await JsonLinesFile.WriteAsync(path, FlagEmbeddingLinesAsync(examples, data.Seed, options), cancellationToken).ConfigureAwait(false);
                files.Add(path);
            }
        }
        if (info.Count > 0)
            files.Add(WriteJson(outputDirectory, Path.Combine("llamafactory", "dataset_info.json"), info));
        return new RaftExportResult(files, data.Examples.Count(e => e.Split == "train"), data.Examples.Count(e => e.Split == "test"), data.DuplicatesRemoved);
    }

    /// <summary>gorilla raft.py's record: context.title/sentences are lists holding one list of the k + 1 documents.</summary>
    internal static JsonObject RaftLine(RaftExample e) => new()
    {
        ["id"] = e.Id,
        ["type"] = "general",
        ["question"] = e.Question,
        ["context"] = new JsonObject
        {
            ["title"] = new JsonArray(new JsonArray(e.Titles.Select(t => (JsonNode?)t).ToArray())),
            ["sentences"] = new JsonArray(new JsonArray(e.Documents.Select(d => (JsonNode?)d).ToArray())),
        },
        ["oracle_context"] = e.OracleContext,
        ["cot_answer"] = e.CotAnswer,
        ["instruction"] = e.Instruction,
    };

    /// <summary>Writes <paramref name="examples"/> as the chat format's JSONL ({"messages": [system?, user instruction,
    /// assistant answer]}, as chat_*.jsonl), durably; for callers that make RAFT examples themselves (the synthetic benchmark).</summary>
    public static void WriteChatJsonl(string path, IEnumerable<RaftExample> examples, string? systemPrompt = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        JsonLinesFile.Write(path, examples.Select(e => ChatLine(e, systemPrompt)));
    }

    internal static JsonObject ChatLine(RaftExample e, string? system)
    {
        var messages = new JsonArray();
        if (system is not null)
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = e.Instruction });
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = e.CotAnswer });
        return new JsonObject { ["messages"] = messages };
    }

    /// <summary>gorilla's eval format (for the Azure AI Evaluation SDK): "context" is the oracle chunk, the grounding truth.</summary>
    internal static JsonObject EvalLine(RaftExample e) => new()
    {
        ["question"] = e.Question,
        ["gold_final_answer"] = e.FinalAnswer,
        ["context"] = e.OracleContext,
    };

    internal static JsonObject Alpaca(RaftExample e, string? system)
    {
        var o = new JsonObject { ["instruction"] = e.Instruction, ["input"] = "", ["output"] = e.CotAnswer };
        if (system is not null)
            o["system"] = system;
        return o;
    }

    internal static JsonObject ShareGpt(RaftExample e, string? system)
    {
        var o = new JsonObject
        {
            ["conversations"] = new JsonArray(
                new JsonObject { ["from"] = "human", ["value"] = e.Instruction },
                new JsonObject { ["from"] = "gpt", ["value"] = e.CotAnswer }),
        };
        if (system is not null)
            o["system"] = system;
        return o;
    }

    private static JsonObject AlpacaInfo(string file, bool system)
    {
        var columns = new JsonObject { ["prompt"] = "instruction", ["query"] = "input", ["response"] = "output" };
        if (system)
            columns["system"] = "system";
        return new JsonObject { ["file_name"] = file, ["formatting"] = "alpaca", ["columns"] = columns };
    }

    private static JsonObject ShareGptInfo(string file, bool system)
    {
        var columns = new JsonObject { ["messages"] = "conversations" };
        if (system)
            columns["system"] = "system";
        return new JsonObject
        {
            ["file_name"] = file,
            ["formatting"] = "sharegpt",
            ["columns"] = columns,
            ["tags"] = new JsonObject { ["role_tag"] = "from", ["content_tag"] = "value", ["user_tag"] = "human", ["assistant_tag"] = "gpt" },
        };
    }

    private static async IAsyncEnumerable<JsonObject> FlagEmbeddingLinesAsync(List<RaftExample> examples, ulong seed, RaftExportOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var e in examples)
            yield return await FlagEmbeddingLineAsync(e, seed, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>query = question, pos = [oracle chunk], neg = mined / random other-document chunks / the example's distractors.</summary>
    private static async Task<JsonObject> FlagEmbeddingLineAsync(RaftExample e, ulong seed, RaftExportOptions options, CancellationToken ct)
    {
        var oracle = new RaftChunk(e.ChunkId, e.DocumentId, e.OracleContext);
        var negatives = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { e.ChunkId };
        void Add(string id, string documentId, string text)
        {
            if (negatives.Count < options.NegativesPerQuery && documentId != e.DocumentId && text != e.OracleContext && seen.Add(id))
                negatives.Add(text);
        }
        if (options.Negatives is not null)
        {
            foreach (var c in await options.Negatives.FindSimilarAsync(e.Question, oracle, options.NegativesPerQuery, ct).ConfigureAwait(false))
                Add(c.Id, c.DocumentId, c.Text);
        }
        if (options.Chunks is { } chunks && negatives.Count < options.NegativesPerQuery)
        {
            var others = chunks.Where(c => c.DocumentId != e.DocumentId).ToList();
            var rng = new ChunkRandom(seed, "negatives", e.Id);
            rng.Shuffle(others);
            foreach (var c in others)
                Add(c.Id, c.DocumentId, c.Text);
        }
        else if (options.Chunks is null)
        {
            for (var i = 0; i < e.Documents.Count; i++)
                if (e.DocumentIds[i] != e.ChunkId)
                    Add(e.DocumentIds[i], "\0distractor", e.Documents[i]);
        }
        var o = new JsonObject
        {
            ["query"] = e.Question,
            ["pos"] = new JsonArray(e.OracleContext),
            ["neg"] = new JsonArray(negatives.Select(n => (JsonNode?)n).ToArray()),
        };
        var prompt = options.EmbeddingPrompt ?? (e.Language == "zh" ? BgeQueryPromptZh : BgeQueryPromptEn);
        if (prompt.Length > 0)
            o["prompt"] = prompt;
        return o;
    }

    private static string WriteLines(string dir, string name, IEnumerable<JsonObject> lines, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = Path.Combine(dir, name);
        JsonLinesFile.Write(path, lines);
        return path;
    }

    private static string WriteJson(string dir, string name, JsonNode node)
    {
        var path = Path.Combine(dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteText(path, node.ToJsonString(RaftJson.Indented) + "\n");
        return path;
    }
}
