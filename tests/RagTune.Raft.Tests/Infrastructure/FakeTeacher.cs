// An in-process teacher for fast statistical tests: same replies as the scripted server, fixed usage, every request recorded.
using System.Collections.Concurrent;
using RagTune.Raft.Teachers;

namespace RagTune.Raft.Tests.Infrastructure;

public sealed class FakeTeacher(Func<TeacherRequest, string>? reply = null) : ITeacher
{
    private readonly Func<TeacherRequest, string> _reply = reply ?? (r =>
        RaftResponder.Reply(r.Messages.FirstOrDefault(m => m.Role == TeacherRole.System)?.Content ?? "", r.Messages.Last(m => m.Role == TeacherRole.User).Content));

    public ConcurrentQueue<TeacherRequest> Requests { get; } = new();

    public string ModelName { get; init; } = "fake-teacher";

    public Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Requests.Enqueue(request);
        var (answer, reasoning) = ThinkSplitter.Split(_reply(request));
        return Task.FromResult(new TeacherReply(answer, reasoning, new TeacherUsage(100, 20)));
    }
}
