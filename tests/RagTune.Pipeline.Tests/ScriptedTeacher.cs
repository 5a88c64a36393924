// A deterministic teacher for pipeline tests: answers RagTune's built-in RAFT prompts by quoting the chunk it was sent
// (the minimal part of the RAFT tests' responder), behind the same FakeChatClient the other eval tests use.
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using RagTune.Eval.Tests;

namespace RagTune.Pipeline.Tests;

internal static partial class ScriptedTeacher
{
    public static FakeChatClient Create() => new((messages, _) => Reply(messages.Last(m => m.Role == ChatRole.User).Text));

    private static string Reply(string user)
    {
        var q = Questions().Match(user);
        if (q.Success)
        {
            string chunk = user[(user.IndexOf("Passage:\n", StringComparison.Ordinal) + "Passage:\n".Length)..];
            return string.Join("\n", Enumerable.Range(1, int.Parse(q.Groups[1].Value)).Select(i => $"What does the record '{Head(chunk)}' state about point {i}?"));
        }
        var a = Answer().Match(user);
        if (a.Success)
        {
            string chunk = a.Groups[2].Value;
            int end = chunk.IndexOf('.', StringComparison.Ordinal);
            string first = end < 0 ? chunk : chunk[..(end + 1)];
            return $"The question asks: {a.Groups[1].Value}\nThe document says ##begin_quote##{first}##end_quote##, which answers it.\n<ANSWER>: {Head(chunk)}";
        }
        return "unrecognised prompt";
    }

    private static string Head(string chunk)
    {
        var flat = Regex.Replace(chunk, @"\s+", " ").Trim();
        return flat.Length <= 24 ? flat : flat[..24];
    }

    [GeneratedRegex(@"Write (\d+) different questions")]
    private static partial Regex Questions();

    [GeneratedRegex(@"^Question: (.*)\nContext: ([\s\S]*)\n\nAnswer this question", RegexOptions.Multiline)]
    private static partial Regex Answer();
}
