// The options that shape a RAFT dataset (questions, distractors, P, seed, language, prompts, quality gate), shared by estimate and generate.
using System.CommandLine;
using RagTune.Knowledge.Rag;
using RagTune.Raft;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;

namespace RagTune.Cli.Commands;

internal sealed class RaftGenerationOptions
{
    public Option<int> Questions { get; } = new("--questions") { Description = "Questions per chunk", DefaultValueFactory = _ => 5 };
    public Option<int> Distractors { get; } = new("--distractors") { Description = "k: distractor documents per example", DefaultValueFactory = _ => 4 };
    public Option<double> OracleProbability { get; } = new("--oracle-probability", "-p") { Description = "P: probability the oracle is in the context", DefaultValueFactory = _ => 0.8 };
    public Option<string> Negatives { get; } = new("--negatives") { Description = "Distractors: random (other documents) or hard (similar chunks of other documents)", DefaultValueFactory = _ => "random" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Random seed (same seed + same teacher replies = same dataset)", DefaultValueFactory = _ => 42UL };
    public Option<double> TestFraction { get; } = new("--test-fraction") { Description = "Share of chunks whose examples form the test split", DefaultValueFactory = _ => 0.1 };
    public Option<string> Language { get; } = new("--language") { Description = "Prompt language: auto (by CJK share), en or zh", DefaultValueFactory = _ => "auto" };
    public Option<string?> Prompts { get; } = new("--prompts") { Description = "JSON file overriding prompts: system_en, questions_en, answer_en, system_zh, questions_zh, answer_zh" };
    public Option<int> AnswerAttempts { get; } = new("--answer-attempts") { Description = "Teacher tries per question before it is dropped", DefaultValueFactory = _ => 3 };
    public Option<int> MaxAnswerChars { get; } = new("--max-answer-chars") { Description = "Longest accepted final answer after <ANSWER>:", DefaultValueFactory = _ => 400 };
    public Option<bool> NoRequireQuote { get; } = new("--no-require-quote") { Description = "Accept answers that quote nothing from the document" };
    public Option<string?> InstructionTemplate { get; } = new("--instruction-template") { Description = $"Student prompt template with {{documents}} and {{question}} (default {Show(RagPromptFormat.Default.InstructionTemplate)})" };
    public Option<string?> DocumentTemplate { get; } = new("--document-template") { Description = $"Per-document template with {{document}} (default {Show(RagPromptFormat.Default.DocumentTemplate)})" };
    public Option<string?> AnswerMarker { get; } = new("--answer-marker") { Description = $"Tag before the final answer (default {Show(RagPromptFormat.Default.AnswerMarker)})" };
    public Option<string?> QuoteBegin { get; } = new("--quote-begin") { Description = $"Tag opening a quote from the document (default {Show(RagPromptFormat.Default.QuoteBegin)})" };
    public Option<string?> QuoteEnd { get; } = new("--quote-end") { Description = $"Tag closing a quote from the document (default {Show(RagPromptFormat.Default.QuoteEnd)})" };
    public Option<string?> SystemPrompt { get; } = new("--student-system-prompt") { Description = "System message of the student's prompt, recorded with the dataset (default none)" };

    public void Add(Command c)
    {
        foreach (var o in new Option[] { Questions, Distractors, OracleProbability, Negatives, Seed, TestFraction, Language, Prompts, AnswerAttempts, MaxAnswerChars, NoRequireQuote, InstructionTemplate, DocumentTemplate, AnswerMarker, QuoteBegin, QuoteEnd, SystemPrompt })
            c.Options.Add(o);
    }

    public RaftOptions Build(ParseResult r, float? temperature, int chunkConcurrency)
    {
        var o = new RaftOptions
        {
            QuestionsPerChunk = r.GetValue(Questions),
            Distractors = r.GetValue(Distractors),
            OracleProbability = r.GetValue(OracleProbability),
            DistractorMode = r.GetValue(Negatives) switch
            {
                "random" => DistractorMode.Random,
                "hard" => DistractorMode.Hard,
                var v => throw new RaftException($"--negatives '{v}' is invalid: expected random or hard"),
            },
            Seed = r.GetValue(Seed),
            TestFraction = r.GetValue(TestFraction),
            Language = RaftCliOptions.ParseLanguage(r.GetValue(Language)!, "--language"),
            MaxAnswerAttempts = r.GetValue(AnswerAttempts),
            MaxFinalAnswerChars = r.GetValue(MaxAnswerChars),
            RequireQuote = !r.GetValue(NoRequireQuote),
            Temperature = temperature,
            ChunkConcurrency = chunkConcurrency,
        };
        if (r.GetValue(Prompts) is { } p)
            o.Prompts = RaftPrompts.Load(p);
        var d = RagPromptFormat.Default;
        o.Format = new RagPromptFormat
        {
            InstructionTemplate = Unescape(r.GetValue(InstructionTemplate)) ?? d.InstructionTemplate,
            DocumentTemplate = Unescape(r.GetValue(DocumentTemplate)) ?? d.DocumentTemplate,
            AnswerMarker = r.GetValue(AnswerMarker) ?? d.AnswerMarker,
            QuoteBegin = r.GetValue(QuoteBegin) ?? d.QuoteBegin,
            QuoteEnd = r.GetValue(QuoteEnd) ?? d.QuoteEnd,
            SystemPrompt = Unescape(r.GetValue(SystemPrompt)),
        };
        return o;
    }

    // Shells make a newline in an argument awkward: "\n" in a template stands for one.
    private static string? Unescape(string? template) => template?.Replace("\\n", "\n");

    private static string Show(string value) => "'" + value.Replace("\n", "\\n") + "'";
}
