// One RAG contract end to end: a custom prompt format (document and instruction templates, answer marker, quote markers,
// system prompt) goes RAFT generation → export → `train sft` → `adapter merge` → `train lsr` → `ragtune eval` → the server's
// rag:<kb> model, and every stage builds the byte-identical prompt and reads answers with the same markers.
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Rag;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;
using RagTune.Raft.Teachers;
using RagTune.Raft.Tests.Infrastructure;
using RagTune.Server;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class PromptFormatRoundTripTests : IDisposable
{
    private static readonly RagPromptFormat Custom = new()
    {
        DocumentTemplate = "[[{document}]]\n",
        InstructionTemplate = "Read:\n{documents}---\nQuestion: {question}",
        AnswerMarker = "FINAL:",
        QuoteBegin = "<<",
        QuoteEnd = ">>",
        SystemPrompt = "Answer from the documents only.",
    };

    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-format-trip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The custom prompt written out by hand, not through RagPromptFormat, so the test checks the contract, not itself.</summary>
    private static string Expected(IEnumerable<string> documents, string question) =>
        "Read:\n" + string.Concat(documents.Select(d => "[[" + d + "]]\n")) + "---\nQuestion: " + question;

    [Fact]
    public async Task A_custom_format_builds_the_same_prompt_in_generation_training_evaluation_and_serving()
    {
        var ct = TestContext.Current.CancellationToken;

        // Generation records the format with the run; the instructions are built with it.
        string run = Path.Combine(_dir, "run"), data = Path.Combine(_dir, "data");
        var chunks = Enumerable.Range(0, 8).Select(i => new RaftChunk($"c{i}", $"doc{i}",
            $"Pump {i} stands in hall {i + 3}. It was serviced in year {2000 + i} by team {i * 7}.")).ToList();
        var generated = await new RaftGenerator(new CustomMarkupTeacher(), new RaftOptions
        {
            QuestionsPerChunk = 2, Distractors = 2, OracleProbability = 1, TestFraction = 0.25, Format = Custom,
        }).RunAsync(chunks, run, cancellationToken: ct);
        Assert.True(generated.Examples > 0);
        Assert.Equal(Custom, RagPromptFormat.Load(Path.Combine(run, RagPromptFormat.FileName)));

        // The export records it beside the files; the training data's user turn is the contract's prompt.
        await RaftExporter.ExportAsync(run, data, new RaftExportOptions { Formats = RaftExportFormats.Raft | RaftExportFormats.Chat }, ct);
        Assert.Equal(Custom, RagPromptFormat.Load(Path.Combine(data, RagPromptFormat.FileName)));
        var rows = ReadRaftRows(Path.Combine(data, "raft_train.jsonl"));
        var chat = File.ReadAllLines(Path.Combine(data, "chat_train.jsonl")).Select(l => JsonNode.Parse(l)!["messages"]!.AsArray()).ToList();
        Assert.Equal(rows.Count, chat.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(Expected(rows[i].Documents, rows[i].Question), rows[i].Instruction);
            Assert.Equal(Custom.SystemPrompt, (string?)chat[i][0]!["content"]);
            Assert.Equal(rows[i].Instruction, (string?)chat[i][1]!["content"]);
        }

        // `train sft` on that data: the adapter carries the format; merging it carries it on to the merged model.
        var train = await CliHarness.RunAsync("train", "sft", "--model", ModelFixtures.Dir("qwen2-tiny"), "--data", Path.Combine(data, "chat_train.jsonl"),
            "--output", Path.Combine(_dir, "sft"), "--max-steps", "1", "--lora-rank", "2", "--max-length", "512", "--quiet");
        Assert.True(train.ExitCode == 0, train.Stderr);
        string adapter = train.Stdout.Trim();
        Assert.Equal(Custom, RagPromptFormat.Load(Path.Combine(adapter, RagPromptFormat.FileName)));
        string merged = Path.Combine(_dir, "merged");
        var merge = await CliHarness.RunAsync("adapter", "merge", adapter, "--model", ModelFixtures.Dir("qwen2-tiny"), "--output", merged);
        Assert.True(merge.ExitCode == 0, merge.Stderr);
        Assert.Equal(Custom, RagPromptFormat.Load(Path.Combine(merged, RagPromptFormat.FileName)));

        // `train lsr` with the merged student as generator scores answers after the contract's prompt (its run settings
        // record the user turn rendered for placeholder text).
        string lsrData = Path.Combine(_dir, "lsr.jsonl");
        File.WriteAllLines(lsrData, rows.Take(2).Select(r => JsonSerializer.Serialize(new { query = r.Question, answer = r.CotAnswer, chunks = r.Documents })));
        string lsrRun = Path.Combine(_dir, "lsr");
        var lsr = await CliHarness.RunAsync("train", "lsr", "--generator", merged, "--retriever", ModelFixtures.Dir("bert-tiny-cls"), "--data", lsrData,
            "--output", lsrRun, "--max-steps", "1");
        Assert.True(lsr.ExitCode == 0, lsr.Stderr);
        var lsrSettings = Strings(JsonNode.Parse(File.ReadAllText(Path.Combine(lsrRun, "run_settings.json")))).ToList();
        Assert.Contains(Expected(["\u0001chunk\u0001"], "\u0001query\u0001"), lsrSettings);
        Assert.Contains(Custom.SystemPrompt, lsrSettings);

        // `ragtune eval` on the exported test rows reads the format beside the set: same prompt, same answer marker.
        var testRows = ReadRaftRows(Path.Combine(data, "raft_test.jsonl"));
        Assert.NotEmpty(testRows);
        await using (var endpoint = await ScriptedOpenAIServer.StartAsync(r => ScriptedReply.Text(testRows.Single(t => r.User.EndsWith("Question: " + t.Question, StringComparison.Ordinal)).CotAnswer)))
        {
            string evalOut = Path.Combine(_dir, "eval");
            var eval = await CliHarness.RunAsync("eval", "--set", Path.Combine(data, "raft_test.jsonl"), "--model", "student", "--endpoint", endpoint.BaseUrl.ToString(),
                "--api-key", "k", "--mode", "context", "--out", evalOut);
            Assert.True(eval.ExitCode == 0, eval.Stderr);
            Assert.Equal(testRows.Count, endpoint.Requests.Count);
            foreach (var request in endpoint.Requests)
            {
                var row = testRows.Single(t => request.User.EndsWith("Question: " + t.Question, StringComparison.Ordinal));
                // The evaluation shuffles the documents: the prompt is the contract's over the documents in the order shown.
                var shown = row.Documents.OrderBy(d => request.User.IndexOf("[[" + d + "]]", StringComparison.Ordinal)).ToList();
                Assert.Equal(Expected(shown, row.Question), request.User);
                Assert.Equal(Custom.SystemPrompt, request.System);
            }
            foreach (var line in File.ReadAllLines(Path.Combine(evalOut, "results.jsonl")).Select(l => JsonNode.Parse(l)!))
            {
                Assert.Equal(1.0, (double)line["metrics"]!["em"]!);
                Assert.Equal(1, (int)line["citations"]!["supported"]!);
            }
        }

        // The server answers rag:<kb> with the merged student: the format comes from the model's folder.
        var student = new RecordingChatClient(m => "As <<" + RaftResponder.FirstSentence(rows[0].Documents[0]) + ">> says. FINAL: yes");
        var services = new ServerServices();
        services.ChatClients["student"] = student;
        services.Retrievers["pumps"] = new FixedRetriever(rows[0].Documents);
        var options = new ServerOptions
        {
            Models = [new ModelEntry { Name = "student", Path = merged }],
            KnowledgeBases = [new KnowledgeBaseEntry { Name = "pumps", Path = _dir, Generator = "student", TopK = rows[0].Documents.Count, SourcesFooter = false }],
        };
        await using var app = await RagTuneServer.BuildAsync(options, ["http://127.0.0.1:0"], services, cancellationToken: ct);
        await app.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var reply = await http.PostAsJsonAsync("/v1/chat/completions",
            new { model = "rag:pumps", messages = new[] { new { role = "user", content = rows[0].Question } } }, ct);
        string body = await reply.Content.ReadAsStringAsync(ct);
        Assert.True(reply.IsSuccessStatusCode, body);
        var prompt = Assert.Single(student.Prompts);
        Assert.Equal([ChatRole.System, ChatRole.User], prompt.Select(m => m.Role));
        Assert.Equal(Custom.SystemPrompt, prompt[0].Text);
        Assert.Equal(rows[0].Instruction, prompt[1].Text);
        var citation = JsonNode.Parse(body)!["citations"]!.AsArray().Single()!;
        Assert.Equal("quote", (string?)citation["kind"]);
        await app.StopAsync(ct);
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        _ => [],
    };

    private sealed record RaftRow(string Question, List<string> Documents, string Instruction, string CotAnswer);

    private static List<RaftRow> ReadRaftRows(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!).Select(n => new RaftRow(
        (string)n["question"]!, n["context"]!["sentences"]![0]!.AsArray().Select(d => (string)d!).ToList(), (string)n["instruction"]!, (string)n["cot_answer"]!)).ToList();

    /// <summary>RaftResponder's teacher brain, answering in the custom markup: a quote of the chunk's first sentence and the final answer.</summary>
    private sealed class CustomMarkupTeacher : ITeacher
    {
        public string ModelName => "scripted-teacher";

        public Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default)
        {
            string user = request.Messages[^1].Content;
            string reply = RaftResponder.QuestionPrompt(user) is { } q
                ? string.Join("\n", Enumerable.Range(1, q.Count).Select(i => $"{i}. {RaftResponder.QuestionFor(q.Chunk, i)}"))
                : RaftResponder.AnswerPrompt(user) is { } a
                    ? $"The record says <<{RaftResponder.FirstSentence(a.Chunk)}>>, which answers it.\nFINAL: {RaftResponder.Head(a.Chunk)}"
                    : "unrecognised prompt";
            return Task.FromResult(new TeacherReply(reply, null, new TeacherUsage(10, 5)));
        }
    }

    private sealed class FixedRetriever(IReadOnlyList<string> documents) : IRagRetriever
    {
        public Task<IReadOnlyList<RetrievedPassage>> RetrieveAsync(string query, int k, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RetrievedPassage>>(documents.Take(k).Select((d, i) => new RetrievedPassage
            {
                Index = i + 1, ChunkId = $"chunk{i}", DocumentId = $"doc{i}", Text = d,
            }).ToList());
    }

    /// <summary>A chat model that records each prompt and answers with a fixed reply.</summary>
    private sealed class RecordingChatClient(Func<IReadOnlyList<ChatMessage>, string> reply) : IChatClient
    {
        private readonly List<IReadOnlyList<ChatMessage>> _prompts = [];

        public IReadOnlyList<IReadOnlyList<ChatMessage>> Prompts
        {
            get { lock (_prompts) return _prompts.ToList(); }
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            lock (_prompts) _prompts.Add(list);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply(list))) { FinishReason = ChatFinishReason.Stop });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            foreach (var update in response.ToChatResponseUpdates()) yield return update;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
