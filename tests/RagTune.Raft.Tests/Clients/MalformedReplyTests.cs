// A teacher answering HTTP 200 with a body that is not a chat completion — garbage, a JSON error, truncated JSON,
// "choices": [] — streamed or not: retried like a 5xx, named (endpoint, model, chunk) when retries are spent, and never
// journaled as a finished chunk, so the rerun against a healthy teacher generates every chunk.
using Microsoft.Extensions.AI;
using RagTune.Raft.Clients;
using RagTune.Raft.Teachers;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests.Clients;

public sealed class MalformedReplyTests
{
    private static readonly TeacherRequest Hello = new([new TeacherMessage(TeacherRole.User, "hello")]);

    public static TheoryData<bool, string, string> Malformed => new()
    {
        { true, "this is not an event stream", "text/plain" },
        { true, """{"error": {"message": "model overloaded", "type": "server_error"}}""", "application/json" },
        { true, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut\"},\"finish_reason\":null}]}\n\n", "text/event-stream" },
        { false, """{"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [""", "application/json" },
        { false, """{"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": []}""", "application/json" },
        { false, "<html><body>502 Bad Gateway</body></html>", "text/html" },
    };

    private static ChatClientTeacher Teacher(ScriptedOpenAIServer server, bool stream, int attempts) =>
        OpenAITeacher.Create(new OpenAITeacherOptions { Endpoint = server.BaseUrl, ApiKey = "k", Model = "teacher-x", Stream = stream },
            new ResilienceOptions { MaxAttempts = attempts, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(20) });

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_reply_is_retried_like_a_5xx(bool stream, string body, string contentType)
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Enqueue(ScriptedReply.Raw(body, contentType));
        server.Enqueue(ScriptedReply.Text("fine now"));
        var teacher = Teacher(server, stream, attempts: 3);
        var reply = await teacher.CompleteAsync(Hello, TestContext.Current.CancellationToken);
        Assert.Equal("fine now", reply.Content);
        Assert.Equal(1, teacher.Client.GetService<ResilientChatClient>()!.Retries);
        Assert.Equal(2, server.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Spent_retries_name_the_endpoint_and_model(bool stream, string body, string contentType)
    {
        await using var server = await ScriptedOpenAIServer.StartAsync(_ => ScriptedReply.Raw(body, contentType));
        var teacher = Teacher(server, stream, attempts: 2);
        var error = await Assert.ThrowsAsync<RaftException>(() => teacher.CompleteAsync(Hello, TestContext.Current.CancellationToken));
        Assert.Contains("model 'teacher-x'", error.Message);
        Assert.Contains(server.BaseUrl.ToString(), error.Message);
        Assert.Contains("in 2 attempt(s), last: malformed reply", error.Message);
        Assert.Equal(2, server.Requests.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Generate_journals_no_chunk_from_a_malformed_teacher_and_the_rerun_generates_them_all(bool stream)
    {
        using var dir = new TempDir();
        RagtuneCli.WriteChunks(dir["chunks.jsonl"], TestCorpus.English(3, 1));
        string[] Args(ScriptedOpenAIServer s) =>
        [
            "raft", "generate", "--chunks", dir["chunks.jsonl"], "--run", dir["run"], "--endpoint", s.BaseUrl.ToString(), "--model", "teacher-x",
            "--api-key", "k", "--questions", "1", "--distractors", "1", "--max-attempts", "2", "--backoff", "0.01", "--concurrency", "1",
            .. stream ? new[] { "--stream" } : [],
        ];

        await using (var broken = await ScriptedOpenAIServer.StartAsync(_ => stream
                         ? ScriptedReply.Raw("""{"error": {"message": "overloaded"}}""")
                         : ScriptedReply.Raw("""{"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": []}""")))
        {
            var (code, output, error) = await RagtuneCli.RunAsync(Args(broken));
            Assert.True(code != 0, output);
            Assert.Contains("chunk '", error);
            Assert.Contains("model 'teacher-x' at " + broken.BaseUrl, error);
            Assert.Contains("malformed reply", error);
            var journal = Path.Combine(dir["run"], "journal.jsonl");
            Assert.True(!File.Exists(journal) || !File.ReadAllText(journal).Contains("no_questions"), "a malformed reply was journaled as a finished chunk");
        }

        await using var healthy = await ScriptedOpenAIServer.StartAsync();
        var rerun = await RagtuneCli.RunAsync(Args(healthy));
        Assert.True(rerun.Code == 0, rerun.Error + rerun.Output);
        Assert.Contains("3/3 (0 resumed from the journal)", rerun.Output);
        Assert.DoesNotContain("no_questions", rerun.Output);
    }
}
