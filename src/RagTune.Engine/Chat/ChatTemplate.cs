// A checkpoint's chat template: turns a list of messages into the prompt text exactly as its Jinja chat_template does
// (transcribed per family, not interpreted), and names the tokens that end an assistant turn.
// The family is chosen from fingerprints in the chat_template text, falling back to the architecture in config.json.
using System.Text.Json;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Chat;

public abstract class ChatTemplate
{
    /// <summary>Architectures with a built-in template when the checkpoint ships none.</summary>
    public static IReadOnlyList<string> KnownArchitectures { get; } = ["Qwen2ForCausalLM", "Qwen3ForCausalLM", "LlamaForCausalLM", "GPT2LMHeadModel"];

    /// <summary>Short name of the family, e.g. "qwen2.5", "qwen3", "llama3.1".</summary>
    public abstract string Name { get; }

    /// <summary>Special tokens that end the assistant's turn or the text (generation stops on them).</summary>
    public abstract IReadOnlyList<string> StopTokens { get; }

    /// <summary>The prompt text. Special tokens appear as text: encode it with parseSpecial and without the
    /// post-processor's tokens (apply_chat_template's add_special_tokens=False), since BOS is already in place.</summary>
    public string Render(IReadOnlyList<ChatTurn> messages, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException("a chat prompt needs at least one message", nameof(messages));
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i] is null || messages[i].Role is null || messages[i].Content is null)
                throw new ArgumentException($"message {i} has no role or no content", nameof(messages));
        }
        var sb = new System.Text.StringBuilder();
        RenderCore(sb, messages, options ?? new ChatTemplateOptions());
        return sb.ToString();
    }

    private protected abstract void RenderCore(System.Text.StringBuilder sb, IReadOnlyList<ChatTurn> messages, ChatTemplateOptions options);

    /// <summary>Ids of <see cref="StopTokens"/> that the tokenizer knows.</summary>
    public int[] StopTokenIds(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return StopTokens.Select(tokenizer.TokenToId).OfType<int>().Distinct().ToArray();
    }

    private protected EngineException Unsupported(string role, int index, string expected = "system, user, assistant or tool") =>
        new($"message {index}: role \"{role}\" is not rendered by the {Name} chat template (expected {expected})");

    /// <summary>Reads a checkpoint folder's template (tokenizer_config.json chat_template, or chat_template.jinja /
    /// chat_template.json beside it) and config.json's architecture, and picks the family. A GGUF file's template is its
    /// tokenizer.chat_template metadata, its architecture general.architecture.</summary>
    public static ChatTemplate Load(string directory, ITokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (Formats.GgufFile.IsGgufFile(directory))
        {
            var gguf = Formats.GgufFile.Read(directory);
            return Select(gguf.GetStringOrNull("tokenizer.chat_template"), Models.GgufDecoder.HuggingFaceArchitecture(gguf.GetStringOrNull("general.architecture")),
                tokenizer, $"{directory} (tokenizer.chat_template)");
        }
        if (!Directory.Exists(directory)) throw new EngineException($"{directory}: model folder not found.");
        var (text, source) = ReadTemplateText(directory);
        string? architecture = ReadArchitecture(directory);
        return Select(text, architecture, tokenizer, source ?? Path.Combine(directory, "tokenizer_config.json"));
    }

    /// <summary>Picks the family: the template text's fingerprints first (&lt;|im_start|&gt; → ChatML, Qwen3 when it mentions
    /// enable_thinking or the architecture is Qwen3; &lt;|start_header_id|&gt; → LLaMA-3, 3.1 when it has the
    /// "Cutting Knowledge Date" block), then the architecture when there is no template text.</summary>
    public static ChatTemplate Select(string? templateText, string? architecture, ITokenizer? tokenizer = null, string source = "chat_template")
    {
        if (!string.IsNullOrWhiteSpace(templateText))
        {
            if (templateText.Contains("<|im_start|>", StringComparison.Ordinal))
            {
                if (templateText.Contains("enable_thinking", StringComparison.Ordinal) || architecture == "Qwen3ForCausalLM")
                    return new Qwen3ChatTemplate();
                return ChatMlTemplate.FromTemplateText(templateText,
                    tokenizer is Tokenizers.ITokenizerInfo { BosId: int bos } ? tokenizer.IdToToken(bos) : null, source);
            }
            if (templateText.Contains("<|start_header_id|>", StringComparison.Ordinal))
                return new Llama3ChatTemplate(templateText.Contains("Cutting Knowledge Date", StringComparison.Ordinal));
            throw new EngineException($"{source}: the chat_template is not one RagTune knows (expected Qwen ChatML with <|im_start|> "
                + "or LLaMA-3 with <|start_header_id|>)");
        }
        switch (architecture)
        {
            case "Qwen3ForCausalLM":
                return new Qwen3ChatTemplate();
            case "Qwen2ForCausalLM":
                return new ChatMlTemplate("chatml", defaultSystem: null, groupToolResponses: false);
            case "LlamaForCausalLM" when tokenizer is null || tokenizer.TokenToId("<|start_header_id|>") is not null:
                return new Llama3ChatTemplate(cuttingKnowledgeBlock: false);
            case "GPT2LMHeadModel":
                // GPT-2 has no chat format: plain text lines, each assistant turn ended by its end-of-text token.
                string? eos = tokenizer is Tokenizers.ITokenizerInfo { EosId: int id } ? tokenizer.IdToToken(id) : null;
                return new PlainTextTemplate(eos ?? "<|endoftext|>");
            case "LlamaForCausalLM":
                throw new EngineException($"{source}: no chat_template, and the LlamaForCausalLM tokenizer has no <|start_header_id|> "
                    + "token, so it is not LLaMA-3 (LLaMA-2 style [INST] prompts are not supported)");
            default:
                throw new EngineException($"{source}: no chat_template, and architecture {architecture ?? "(none in config.json)"} has no "
                    + $"built-in one (expected one of {string.Join(", ", KnownArchitectures)})");
        }
    }

    internal static (string? Text, string? Source) ReadTemplateText(string directory)
    {
        string config = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(config))
        {
            using var doc = ParseJson(config);
            if (doc.RootElement.TryGetProperty("chat_template", out var t) && TemplateFromJson(t, config) is { } text)
                return (text, config);
        }
        string jinja = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinja)) return (File.ReadAllText(jinja), jinja);
        string json = Path.Combine(directory, "chat_template.json");
        if (File.Exists(json))
        {
            using var doc = ParseJson(json);
            if (doc.RootElement.TryGetProperty("chat_template", out var t) && TemplateFromJson(t, json) is { } text)
                return (text, json);
        }
        return (null, null);
    }

    /// <summary>chat_template is a string, or a list of {"name", "template"} where "default" is the one used.</summary>
    private static string? TemplateFromJson(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                        && n.GetString() == "default" && item.TryGetProperty("template", out var t) && t.ValueKind == JsonValueKind.String)
                        return t.GetString();
                throw new EngineException($"{path}: chat_template is a list without a \"default\" entry (expected {{\"name\": \"default\", \"template\": …}})");
            default:
                throw new EngineException($"{path}: chat_template is a JSON {e.ValueKind}, expected a string or a list of named templates");
        }
    }

    private static string? ReadArchitecture(string directory)
    {
        string path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) return null;
        using var doc = ParseJson(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new EngineException($"{path}: expected a JSON object, found {root.ValueKind}");
        if (root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
            && a[0].ValueKind == JsonValueKind.String)
            return a[0].GetString();
        return root.TryGetProperty("model_type", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString() switch { "qwen2" => "Qwen2ForCausalLM", "qwen3" => "Qwen3ForCausalLM", "llama" => "LlamaForCausalLM", var other => other }
            : null;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new EngineException($"{path}: not valid JSON ({e.Message})");
        }
    }

    /// <summary>Python's str.strip() whitespace (what Jinja's trim filter removes): .NET's set plus U+001C–U+001F.</summary>
    private protected static readonly char[] PythonWhitespace =
    [
        '\t', '\n', '\v', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f', ' ', '\u0085', '\u00a0', '\u1680',
        '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
        '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
    ];

    /// <summary>Qwen2.5 / Qwen3: consecutive tool messages become one user turn of &lt;tool_response&gt; blocks.</summary>
    private protected static void AppendToolResponse(System.Text.StringBuilder sb, IReadOnlyList<ChatTurn> messages, int i)
    {
        if (i == 0 || messages[i - 1].Role != "tool") sb.Append("<|im_start|>user");
        sb.Append("\n<tool_response>\n").Append(messages[i].Content).Append("\n</tool_response>");
        if (i == messages.Count - 1 || messages[i + 1].Role != "tool") sb.Append("<|im_end|>\n");
    }
}
