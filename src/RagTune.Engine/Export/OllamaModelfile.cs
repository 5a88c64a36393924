// The Ollama Modelfile written beside an exported GGUF, so `ollama create NAME -f Modelfile` takes it: FROM the file, the
// checkpoint's chat template as an Ollama (Go text/template) TEMPLATE for the families RagTune knows (ChatML for Qwen2/
// Qwen2.5/Qwen3, LLaMA-3 headers), its default SYSTEM message, the stop tokens and the sampling defaults of
// generation_config.json. Ollama puts system messages in .System (and leaves them in .Messages), so the loop skips them.
using System.Globalization;
using System.Text;
using System.Text.Json;
using RagTune.Engine.Chat;
using RagTune.Engine.Models;

namespace RagTune.Engine.Export;

internal static class OllamaModelfile
{
    /// <summary>Largest num_ctx written: Ollama allocates the whole KV cache up front.</summary>
    private const int MaxContext = 8192;

    public const string ChatMlTemplate = """
        {{- if .System }}<|im_start|>system
        {{ .System }}<|im_end|>
        {{ end }}
        {{- range $i, $_ := .Messages }}
        {{- $last := eq (len (slice $.Messages $i)) 1 }}
        {{- if ne .Role "system" }}<|im_start|>{{ .Role }}
        {{ .Content }}<|im_end|>
        {{ end }}
        {{- if and $last (ne .Role "assistant") }}<|im_start|>assistant
        {{ end }}
        {{- end }}
        """;

    public const string Llama3Template = """
        {{- if .System }}<|start_header_id|>system<|end_header_id|>

        {{ .System }}<|eot_id|>
        {{- end }}
        {{- range $i, $_ := .Messages }}
        {{- $last := eq (len (slice $.Messages $i)) 1 }}
        {{- if ne .Role "system" }}<|start_header_id|>{{ .Role }}<|end_header_id|>

        {{ .Content }}<|eot_id|>
        {{- end }}
        {{- if and $last (ne .Role "assistant") }}<|start_header_id|>assistant<|end_header_id|>

        {{ end }}
        {{- end }}
        """;

    public static string Build(string directory, string ggufFileName, DecoderConfig config, List<string> warnings)
    {
        var sb = new StringBuilder();
        sb.Append("# Made by `ragtune export gguf` from ").Append(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))))
            .Append(". Load it with: ollama create NAME -f <this file>\n");
        sb.Append("FROM ./").Append(ggufFileName).Append('\n');
        ChatTemplate? template = null;
        try
        {
            template = ChatTemplate.Load(directory);
        }
        catch (EngineException e)
        {
            warnings.Add($"Modelfile has no TEMPLATE ({e.Message}); Ollama falls back to the GGUF's tokenizer.chat_template");
        }
        if (template is not null)
        {
            string go = template is Llama3ChatTemplate ? Llama3Template : ChatMlTemplate;
            sb.Append("TEMPLATE \"\"\"").Append(go).Append("\"\"\"\n");
            if (template is Chat.ChatMlTemplate { DefaultSystem: { } system })
                sb.Append("SYSTEM \"\"\"").Append(system).Append("\"\"\"\n");
            foreach (var stop in template.StopTokens)
                sb.Append("PARAMETER stop \"").Append(stop).Append("\"\n");
            if (template is Llama3ChatTemplate { Name: "llama3.1" })
                warnings.Add("the LLaMA-3.1 template's date header is not reproduced in the Modelfile TEMPLATE");
        }
        AppendSampling(sb, Path.Combine(directory, "generation_config.json"));
        sb.Append("PARAMETER num_ctx ").Append(Math.Min(config.MaxPositionEmbeddings, MaxContext).ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    /// <summary>temperature / top_p / top_k / repetition_penalty from generation_config.json, under Ollama's names; a
    /// greedy config (do_sample false) becomes temperature 0.</summary>
    private static void AppendSampling(StringBuilder sb, string path)
    {
        if (!File.Exists(path)) return;
        using var doc = JsonFields.ParseFile(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return;
        // transformers ignores temperature/top_p/top_k when do_sample is false: the model was meant to be run greedily.
        bool greedy = root.TryGetProperty("do_sample", out var ds) && ds.ValueKind == JsonValueKind.False;
        if (greedy) sb.Append("PARAMETER temperature 0\n");
        foreach (var (hf, ollama) in new[] { ("temperature", "temperature"), ("top_p", "top_p"), ("top_k", "top_k"), ("repetition_penalty", "repeat_penalty") })
            if ((!greedy || hf == "repetition_penalty") && root.TryGetProperty(hf, out var v) && v.ValueKind == JsonValueKind.Number)
                sb.Append("PARAMETER ").Append(ollama).Append(' ').Append(v.GetRawText()).Append('\n');
    }
}
