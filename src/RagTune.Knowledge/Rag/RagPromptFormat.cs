// The RAFT prompt contract: how retrieved documents and a question become the student's user turn, the system prompt
// before it, and how the answer marks its quotes and its final answer. RAFT generation records it beside the dataset
// (rag_format.json); training, evaluation and serving read it from there, so every stage builds byte-identical prompts.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.IO;

namespace RagTune.Knowledge.Rag;

/// <summary>
/// The defaults are gorilla raft.py's: each document as <c>&lt;DOCUMENT&gt;d&lt;/DOCUMENT&gt;\n</c>, then the question;
/// quotes between <c>##begin_quote##</c> and <c>##end_quote##</c>; the final answer after <c>&lt;ANSWER&gt;:</c>; no system prompt.
/// </summary>
public sealed record RagPromptFormat
{
    /// <summary>The sidecar's name, beside a RAFT run, an export, a training run or a fine-tuned model.</summary>
    public const string FileName = "rag_format.json";

    private const string FormatTag = "ragtune.rag_prompt_format";
    private const int FormatVersion = 1;

    /// <summary>The format datasets made before the format was recorded were generated with.</summary>
    public static RagPromptFormat Default { get; } = new();

    /// <summary>One context document; {document} is its text.</summary>
    public string DocumentTemplate { get; init; } = "<DOCUMENT>{document}</DOCUMENT>\n";

    /// <summary>The user turn; {documents} are the rendered documents in order, {question} the question.</summary>
    public string InstructionTemplate { get; init; } = "{documents}{question}";

    /// <summary>Tag before the final answer.</summary>
    public string AnswerMarker { get; init; } = "<ANSWER>:";

    /// <summary>Tag opening a quote from a document.</summary>
    public string QuoteBegin { get; init; } = "##begin_quote##";

    /// <summary>Tag closing a quote.</summary>
    public string QuoteEnd { get; init; } = "##end_quote##";

    /// <summary>System message before the user turn; null = none (raft.py's chat format has none).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>The user turn: each document through <see cref="DocumentTemplate"/>, then <see cref="InstructionTemplate"/>
    /// (one-pass fills: documents and questions may contain braces).</summary>
    public string BuildInstruction(IEnumerable<string> documents, string question)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(question);
        var rendered = new StringBuilder();
        foreach (var d in documents)
            rendered.Append(PromptTemplate.Fill(DocumentTemplate, new Dictionary<string, string> { ["document"] = d }));
        return PromptTemplate.Fill(InstructionTemplate, new Dictionary<string, string>
        {
            ["documents"] = rendered.ToString(),
            ["question"] = question,
        });
    }

    /// <summary>The text after the last <see cref="AnswerMarker"/>, trimmed; the whole text trimmed when there is no marker.</summary>
    public string FinalAnswer(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int at = output.LastIndexOf(AnswerMarker, StringComparison.Ordinal);
        return (at < 0 ? output : output[(at + AnswerMarker.Length)..]).Trim();
    }

    /// <summary>The quoted spans in order, untrimmed. An unterminated begin marker quotes nothing (the output was cut off).</summary>
    public List<string> Quotes(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var quotes = new List<string>();
        int pos = 0;
        while (true)
        {
            int b = output.IndexOf(QuoteBegin, pos, StringComparison.Ordinal);
            if (b < 0) break;
            int start = b + QuoteBegin.Length;
            int e = output.IndexOf(QuoteEnd, start, StringComparison.Ordinal);
            if (e < 0) break;
            quotes.Add(output[start..e]);
            pos = e + QuoteEnd.Length;
        }
        return quotes;
    }

    /// <summary><paramref name="text"/> between the quote markers.</summary>
    public string Quote(string text) => QuoteBegin + text + QuoteEnd;

    /// <summary>Checks the templates and markers; <paramref name="where"/> names the file or option they came from.</summary>
    /// <exception cref="KnowledgeException">A template lacks its placeholders or a marker is empty.</exception>
    public void Validate(string where = "RAG prompt format")
    {
        if (!DocumentTemplate.Contains("{document}", StringComparison.Ordinal))
            throw new KnowledgeException($"{where}: document template '{DocumentTemplate}' lacks the {{document}} placeholder");
        if (!InstructionTemplate.Contains("{documents}", StringComparison.Ordinal) || !InstructionTemplate.Contains("{question}", StringComparison.Ordinal))
            throw new KnowledgeException($"{where}: instruction template '{InstructionTemplate}' must contain {{documents}} and {{question}}");
        if (AnswerMarker.Length == 0 || QuoteBegin.Length == 0 || QuoteEnd.Length == 0)
            throw new KnowledgeException($"{where}: quote markers and answer marker must be non-empty");
    }

    /// <summary>The format as the sidecar's JSON object.</summary>
    public JsonObject ToJson() => new()
    {
        ["format"] = FormatTag,
        ["version"] = FormatVersion,
        ["document_template"] = DocumentTemplate,
        ["instruction_template"] = InstructionTemplate,
        ["answer_marker"] = AnswerMarker,
        ["quote_begin"] = QuoteBegin,
        ["quote_end"] = QuoteEnd,
        ["system_prompt"] = SystemPrompt,
    };

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/> (atomically) and returns its path.</summary>
    public string Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Validate();
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        AtomicFile.WriteText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return path;
    }

    /// <summary>Reads a format file (<see cref="FileName"/> or any file of its shape); missing fields take the defaults.</summary>
    /// <exception cref="KnowledgeException">The file is missing, not JSON, of another format or version, or invalid.</exception>
    public static RagPromptFormat Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new KnowledgeException($"{path}: RAG prompt format file not found");
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new KnowledgeException($"{path}: expected a JSON object with document_template, instruction_template, answer_marker, quote_begin, quote_end");
        }
        catch (JsonException e)
        {
            throw new KnowledgeException($"{path}: not valid JSON ({e.Message}); expected a RAG prompt format object", e);
        }
        string? tag = Field(o, "format", path);
        if (tag is not null && tag != FormatTag)
            throw new KnowledgeException($"{path}: field 'format' is '{tag}'; expected '{FormatTag}'");
        if (o["version"] is { } v && (v.GetValueKind() != JsonValueKind.Number || v.GetValue<double>() != FormatVersion))
            throw new KnowledgeException($"{path}: field 'version' is {v.ToJsonString()}; expected {FormatVersion}");
        var d = Default;
        var format = new RagPromptFormat
        {
            DocumentTemplate = Field(o, "document_template", path) ?? d.DocumentTemplate,
            InstructionTemplate = Field(o, "instruction_template", path) ?? d.InstructionTemplate,
            AnswerMarker = Field(o, "answer_marker", path) ?? d.AnswerMarker,
            QuoteBegin = Field(o, "quote_begin", path) ?? d.QuoteBegin,
            QuoteEnd = Field(o, "quote_end", path) ?? d.QuoteEnd,
            SystemPrompt = Field(o, "system_prompt", path),
        };
        format.Validate(path);
        return format;
    }

    /// <summary>The format recorded in <paramref name="directory"/>, or null when it has no <see cref="FileName"/>.</summary>
    public static RagPromptFormat? TryLoadFrom(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string path = Path.Combine(directory, FileName);
        return File.Exists(path) ? Load(path) : null;
    }

    /// <summary>The format recorded beside <paramref name="fileOrDirectory"/> (in it when it is a folder, else in the file's
    /// folder), or <see cref="Default"/> when none is recorded: data made before formats were recorded used the default.</summary>
    public static RagPromptFormat LoadBeside(string fileOrDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrDirectory);
        string directory = Directory.Exists(fileOrDirectory) ? fileOrDirectory : Path.GetDirectoryName(Path.GetFullPath(fileOrDirectory))!;
        return TryLoadFrom(directory) ?? Default;
    }

    /// <summary>Carries a recorded format along a derivation (training data → trained model, adapter → merged model): the
    /// format recorded beside <paramref name="source"/>, when there is one, is written into <paramref name="targetDirectory"/>.</summary>
    /// <returns>The carried format, or null when <paramref name="source"/> has none recorded (nothing is written).</returns>
    public static RagPromptFormat? CarryOver(string source, string targetDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        string directory = Directory.Exists(source) ? source : Path.GetDirectoryName(Path.GetFullPath(source))!;
        var format = TryLoadFrom(directory);
        format?.Save(targetDirectory);
        return format;
    }

    private static string? Field(JsonObject o, string name, string path)
    {
        var node = o[name];
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String)
            throw new KnowledgeException($"{path}: field '{name}' is {node.GetValueKind().ToString().ToLowerInvariant()}; expected a string");
        return node.GetValue<string>();
    }
}
