// The teacher's request/reply vocabulary: chat messages in, answer text + separate reasoning + token usage out.
namespace RagTune.Raft.Teachers;

public enum TeacherRole
{
    System,
    User,
    Assistant,
}

public sealed record TeacherMessage(TeacherRole Role, string Content);

/// <summary>One chat request. <see cref="Temperature"/>/<see cref="MaxOutputTokens"/> null = the server's default.</summary>
public sealed record TeacherRequest(IReadOnlyList<TeacherMessage> Messages, float? Temperature = null, int? MaxOutputTokens = null);

/// <summary>Token counts reported by the server for one call (0 when it reports none).</summary>
public readonly record struct TeacherUsage(long InputTokens, long OutputTokens)
{
    public static TeacherUsage operator +(TeacherUsage a, TeacherUsage b) => new(a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens);
}

/// <summary>
/// A reply: <see cref="Content"/> is the answer with any &lt;think&gt; blocks removed; <see cref="Reasoning"/> holds those
/// blocks and/or the server's reasoning_content, never mixed into the answer.
/// </summary>
public sealed record TeacherReply(string Content, string? Reasoning, TeacherUsage Usage);
