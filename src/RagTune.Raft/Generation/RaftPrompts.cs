// The teacher prompts for question and answer writing, in English and Chinese; built in as resources, overridable from a JSON file.
using System.Reflection;
using System.Text.Json;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Generation;

/// <summary>
/// Prompt templates. Placeholders: {count}, {chunk} (questions); {question}, {chunk}, {begin_quote}, {end_quote},
/// {answer_marker} (answers). Override file: a JSON object with any of the keys system_en, questions_en, answer_en,
/// system_zh, questions_zh, answer_zh (string values); missing keys keep the built-in text.
/// </summary>
public sealed record RaftPrompts(string SystemEn, string QuestionsEn, string AnswerEn, string SystemZh, string QuestionsZh, string AnswerZh)
{
    private static readonly string[] Keys = ["system_en", "questions_en", "answer_en", "system_zh", "questions_zh", "answer_zh"];

    public static RaftPrompts BuiltIn { get; } = new(
        Resource("system_en.txt"), Resource("questions_en.txt"), Resource("answer_en.txt"),
        Resource("system_zh.txt"), Resource("questions_zh.txt"), Resource("answer_zh.txt"));

    public string System(RaftLanguage l) => l == RaftLanguage.Chinese ? SystemZh : SystemEn;

    public string Questions(RaftLanguage l) => l == RaftLanguage.Chinese ? QuestionsZh : QuestionsEn;

    public string Answer(RaftLanguage l) => l == RaftLanguage.Chinese ? AnswerZh : AnswerEn;

    public static RaftPrompts Load(string path)
    {
        var root = JsonInput.ReadObject(path, "prompts file", $"an object with keys {string.Join(", ", Keys)}");
        var values = new Dictionary<string, string>();
        foreach (var p in root.EnumerateObject())
        {
            if (!Keys.Contains(p.Name))
                throw new RaftException($"prompts file '{path}': unknown key '{p.Name}', expected one of {string.Join(", ", Keys)}");
            if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                throw new RaftException($"prompts file '{path}': key '{p.Name}' must be a non-empty string");
            values[p.Name] = p.Value.GetString()!;
        }
        var b = BuiltIn;
        return new RaftPrompts(
            values.GetValueOrDefault("system_en", b.SystemEn), values.GetValueOrDefault("questions_en", b.QuestionsEn),
            values.GetValueOrDefault("answer_en", b.AnswerEn), values.GetValueOrDefault("system_zh", b.SystemZh),
            values.GetValueOrDefault("questions_zh", b.QuestionsZh), values.GetValueOrDefault("answer_zh", b.AnswerZh));
    }

    internal static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("RagTune.Raft.Prompts." + name)
            ?? throw new RaftException($"built-in prompt resource '{name}' is missing from RagTune.Raft.dll");
        using var r = new StreamReader(s);
        return r.ReadToEnd().TrimEnd();
    }
}
