// A deterministic "teacher brain" for tests: reads RagTune's built-in prompts and answers by quoting the chunk it was sent.
using System.Text.RegularExpressions;

namespace RagTune.Raft.Tests.Infrastructure;

public static partial class RaftResponder
{
    /// <summary>Questions for a question prompt, a quoting CoT answer for an answer prompt.</summary>
    public static string Reply(string system, string user)
    {
        if (QuestionPrompt(user) is { } q)
            return string.Join("\n", Enumerable.Range(1, q.Count).Select(i => $"{i}. {QuestionFor(q.Chunk, i)}"));
        if (AnswerPrompt(user) is { } a)
            return GoodAnswer(a.Question, a.Chunk);
        return "unrecognised prompt";
    }

    public static (string Chunk, int Count)? QuestionPrompt(string user)
    {
        var m = EnQuestions().Match(user);
        if (m.Success)
            return (user[(user.IndexOf("Passage:\n", StringComparison.Ordinal) + "Passage:\n".Length)..], int.Parse(m.Groups[1].Value));
        m = ZhQuestions().Match(user);
        if (m.Success)
            return (user[(user.IndexOf("文档内容：\n", StringComparison.Ordinal) + "文档内容：\n".Length)..], int.Parse(m.Groups[1].Value));
        return null;
    }

    public static (string Question, string Chunk)? AnswerPrompt(string user)
    {
        var m = EnAnswer().Match(user);
        if (!m.Success)
            m = ZhAnswer().Match(user);
        return m.Success ? (m.Groups[1].Value, m.Groups[2].Value) : null;
    }

    public static bool IsChinese(string chunk) => chunk.Any(c => c is >= '\u4E00' and <= '\u9FFF');

    public static string QuestionFor(string chunk, int i) =>
        IsChinese(chunk) ? $"关于“{Head(chunk)}”的第{i}点说了什么？" : $"What does the record '{Head(chunk)}' state about point {i}?";

    public static string GoodAnswer(string question, string chunk) =>
        $"The question asks: {question}\nThe document says ##begin_quote##{FirstSentence(chunk)}##end_quote##, which answers it.\n<ANSWER>: {Head(chunk)}";

    public static string Head(string chunk)
    {
        var flat = Regex.Replace(chunk, @"\s+", " ").Trim();
        return flat.Length <= 24 ? flat : flat[..24];
    }

    public static string FirstSentence(string chunk)
    {
        var end = chunk.IndexOfAny(['.', '。']);
        return end < 0 ? chunk : chunk[..(end + 1)];
    }

    [GeneratedRegex(@"Write (\d+) different questions")]
    private static partial Regex EnQuestions();

    [GeneratedRegex(@"写出 (\d+) 个不同的问题")]
    private static partial Regex ZhQuestions();

    [GeneratedRegex(@"^Question: (.*)\nContext: ([\s\S]*)\n\nAnswer this question", RegexOptions.Multiline)]
    private static partial Regex EnAnswer();

    [GeneratedRegex(@"^问题：(.*)\n参考内容：([\s\S]*)\n\n请只根据", RegexOptions.Multiline)]
    private static partial Regex ZhAnswer();
}
