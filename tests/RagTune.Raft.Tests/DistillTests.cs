// CoT distillation through the scripted server: matching traces kept, failures retried then left over, resumable; answer matching rules.
using System.Collections.Concurrent;
using System.Text.Json;
using RagTune.Raft.Distillation;
using RagTune.Raft.Teachers;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class DistillTests
{
    [Fact]
    public async Task Keeps_matching_traces_retries_failures_and_writes_leftovers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await File.WriteAllLinesAsync(dir["in.jsonl"],
        [
            """{"id":"a","question":"What is 6*7?","answer":"42"}""",
            """{"id":"b","question":"Tom has 1000 apples and buys 234 more. How many?","answer":"1000 + 234 = 1234\n#### 1,234"}""",
            """{"id":"c","question":"An unsolvable riddle?","answer":7}""",
            """{"question":"中国的首都是哪里？","answer":"北京"}""",
        ], ct);
        var attempts = new ConcurrentDictionary<string, int>();
        await using var server = await ScriptedOpenAIServer.StartAsync(r =>
        {
            var n = attempts.AddOrUpdate(r.User, 1, (_, v) => v + 1);
            return ScriptedReply.Text(
                r.User.Contains("6*7") ? (n == 1 ? "6*7 = 41.\n<ANSWER>: 41" : "6*7 = 42.\n<ANSWER>: 42")
                : r.User.Contains("apples") ? "1000 + 234 = 1234, so the total is $\\boxed{1234}$."
                : r.User.Contains("riddle") ? "I guess.\n<ANSWER>: 8"
                : "<think>首都……</think>中国的首都是北京。\n<ANSWER>: 北京。");
        });
        var teacher = OpenAITeacher.Create(new OpenAITeacherOptions { Endpoint = server.BaseUrl, ApiKey = "k", Model = "m" });
        var items = DistillItem.Load(dir["in.jsonl"]);
        Assert.Equal(["a", "b", "c", "line4"], items.Select(i => i.Id));
        var result = await new Distiller(teacher, new DistillOptions { MaxAttempts = 3 }).RunAsync(items, dir["run"], null, ct);

        Assert.Equal((4, 3, 1), (result.Done, result.Kept, result.Failed));
        Assert.Equal(2 + 1 + 3 + 1, result.Calls);
        Assert.Contains(server.Requests, r => r.User.Contains("请解答下面的问题") && r.User.Contains("首都"));
        Assert.Contains(server.Requests, r => r.User.StartsWith("Solve the following problem") && r.User.Contains("6*7"));

        var (distilled, leftover, kept, failed) = DistillExporter.Export(dir["run"], dir["out"]);
        Assert.Equal((3, 1), (kept, failed));
        var d = File.ReadAllLines(distilled).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["a", "b", "line4"], d.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(["id", "question", "reference", "response", "final_answer", "messages"], d[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("42", d[0].GetProperty("final_answer").GetString());
        Assert.Equal("6*7 = 42.\n<ANSWER>: 42", d[0].GetProperty("messages")[1].GetProperty("content").GetString());
        Assert.Equal("首都……", d[2].GetProperty("teacher_reasoning").GetString());
        Assert.DoesNotContain("<think>", d[2].GetProperty("response").GetString());
        var l = JsonDocument.Parse(Assert.Single(File.ReadAllLines(leftover))).RootElement;
        Assert.Equal("c", l.GetProperty("id").GetString());
        Assert.Equal(3, l.GetProperty("attempts").GetInt32());
        Assert.Equal("8", l.GetProperty("last_final_answer").GetString());

        // Resuming a finished run sends nothing.
        var again = await new Distiller(teacher, new DistillOptions { MaxAttempts = 3 }).RunAsync(items, dir["run"], null, ct);
        Assert.Equal((0L, 4, 3), (again.CallsThisSession, again.Resumed, again.Kept));
        Assert.Equal(7, server.Requests.Count);
    }

    [Fact]
    public async Task Bad_input_names_the_line_and_field()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir["in.jsonl"], "{\"question\":\"q\",\"answer\":\"1\"}\n{\"q\":\"x\",\"answer\":\"2\"}\n", TestContext.Current.CancellationToken);
        var ex = Assert.Throws<RaftException>(() => DistillItem.Load(dir["in.jsonl"]));
        Assert.Contains("in.jsonl:2", ex.Message);
        Assert.Contains("'question'", ex.Message);
    }

    [Theory]
    [InlineData("42", "42", true)]
    [InlineData("$1,234.00", "1234", true)]
    [InlineData("18 dollars", "18", true)]
    [InlineData("0.5", "\\frac{1}{2}", true)]
    [InlineData("\\dfrac{3}{4}", "0.75", true)]
    [InlineData("-3/4", "-0.75", true)]
    [InlineData("50%", "50", true)]
    [InlineData("1e3", "1000", true)]
    [InlineData("41", "42", false)]
    [InlineData("3 and 4", "3", false)]
    [InlineData("The Eiffel Tower.", "eiffel tower", true)]
    [InlineData("北京。", "北京", true)]
    [InlineData("Paris", "London", false)]
    [InlineData("", "", false)]
    public void Answers_match_numerically_or_as_normalised_text(string predicted, string reference, bool expected) =>
        Assert.Equal(expected, AnswerMatcher.Matches(predicted, reference));

    [Fact]
    public void Tolerance_is_relative_to_the_reference()
    {
        Assert.True(AnswerMatcher.Matches("1000.0004", "1000", 1e-6));
        Assert.False(AnswerMatcher.Matches("1000.01", "1000", 1e-6));
        Assert.True(AnswerMatcher.Matches("3.14", "3.14159", 1e-3));
    }

    [Fact]
    public void Final_answers_are_extracted_from_marker_boxed_or_hashes()
    {
        Assert.Equal("7", AnswerMatcher.ExtractFinal("x <ANSWER>: 3\nmore\n<ANSWER>: 7", "<ANSWER>:"));
        Assert.Equal("\\frac{1}{2}", AnswerMatcher.ExtractFinal("so $\\boxed{\\frac{1}{2}}$", "<ANSWER>:"));
        Assert.Equal("12", AnswerMatcher.ExtractFinal("work\n#### 12", "<ANSWER>:"));
        Assert.Null(AnswerMatcher.ExtractFinal("no answer here", "<ANSWER>:"));
        Assert.Null(AnswerMatcher.ExtractFinal("<ANSWER>:  ", "<ANSWER>:"));
        Assert.Equal("1,234", AnswerMatcher.ReferenceFinal("steps\n#### 1,234"));
        Assert.Equal("5", AnswerMatcher.ReferenceFinal("The answer is \\boxed{5}."));
    }
}
