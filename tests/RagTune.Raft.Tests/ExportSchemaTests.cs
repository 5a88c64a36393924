// Every export format checked field by field against FORMATS.md: RAFT, chat, completion, eval, LLaMA-Factory, FlagEmbedding.
using System.Text.Json;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class ExportSchemaTests : IAsyncLifetime
{
    private const string System = "You are an expert on the plant manuals.";
    private readonly TempDir _dir = new();
    private List<RaftChunk> _chunks = [];
    private RaftExportResult _result = null!;

    public async ValueTask InitializeAsync()
    {
        _chunks = TestCorpus.English(6, 2).Concat(TestCorpus.Chinese(2, 1)).ToList();
        await new RaftGenerator(new FakeTeacher(), new RaftOptions { QuestionsPerChunk = 2, Distractors = 2, TestFraction = 0.25 })
            .RunAsync(_chunks, _dir["run"], null, TestContext.Current.CancellationToken);
        _result = await RaftExporter.ExportAsync(_dir["run"], _dir["out"], new RaftExportOptions
        {
            SystemPrompt = System,
            Chunks = _chunks,
            Negatives = new LexicalHardNegativeProvider(_chunks),
        }, TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private List<JsonElement> Lines(string name) =>
        File.ReadAllLines(Path.Combine(_dir["out"], name)).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private static List<string> Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToList();

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    [Fact]
    public void Splits_are_by_chunk_and_cover_every_example()
    {
        Assert.Equal(28, _result.TrainExamples + _result.TestExamples);
        Assert.Equal(8, _result.TestExamples); // round(0.25 × 14 chunks) = 4 chunks × 2 questions
        var train = Lines("raft_train.jsonl").Select(e => S(e, "id").Split("/q")[0]).ToHashSet();
        var test = Lines("raft_test.jsonl").Select(e => S(e, "id").Split("/q")[0]).ToHashSet();
        Assert.Equal(4, test.Count);
        Assert.Empty(train.Intersect(test));
        Assert.Equal(14, train.Count + test.Count);
    }

    [Fact]
    public void Raft_lines_match_gorilla_and_llamaindex()
    {
        foreach (var split in new[] { "train", "test" })
            foreach (var e in Lines($"raft_{split}.jsonl"))
            {
                Assert.Equal(["id", "type", "question", "context", "oracle_context", "cot_answer", "instruction"], Keys(e));
                Assert.Equal("general", S(e, "type"));
                var context = e.GetProperty("context");
                Assert.Equal(["title", "sentences"], Keys(context));
                var titles = Assert.Single(context.GetProperty("title").EnumerateArray().ToList()).EnumerateArray().Select(t => t.GetString()!).ToList();
                var docs = Assert.Single(context.GetProperty("sentences").EnumerateArray().ToList()).EnumerateArray().Select(t => t.GetString()!).ToList();
                Assert.Equal(3, titles.Count);
                Assert.Equal(3, docs.Count);
                Assert.All(docs, d => Assert.Contains(_chunks, c => c.Text == d));
                Assert.Equal(string.Concat(docs.Select(d => "<DOCUMENT>" + d + "</DOCUMENT>\n")) + S(e, "question"), S(e, "instruction"));
                Assert.Contains(_chunks, c => c.Text == S(e, "oracle_context"));
                Assert.Contains("<ANSWER>:", S(e, "cot_answer"));
                Assert.Contains("##begin_quote##", S(e, "cot_answer"));
            }
    }

    [Fact]
    public void Chat_completion_and_eval_derive_from_the_raft_record()
    {
        var raft = Lines("raft_train.jsonl");
        var chat = Lines("chat_train.jsonl");
        var completion = Lines("completion_train.jsonl");
        var eval = Lines("eval_train.jsonl");
        Assert.Equal(raft.Count, chat.Count);
        for (var i = 0; i < raft.Count; i++)
        {
            Assert.Equal(["messages"], Keys(chat[i]));
            var m = chat[i].GetProperty("messages").EnumerateArray().ToList();
            Assert.Equal(["system", "user", "assistant"], m.Select(x => S(x, "role")));
            Assert.All(m, x => Assert.Equal(["role", "content"], Keys(x)));
            Assert.Equal(System, S(m[0], "content"));
            Assert.Equal(S(raft[i], "instruction"), S(m[1], "content"));
            Assert.Equal(S(raft[i], "cot_answer"), S(m[2], "content"));

            Assert.Equal(["prompt", "completion"], Keys(completion[i]));
            Assert.Equal(S(raft[i], "instruction"), S(completion[i], "prompt"));
            Assert.Equal(S(raft[i], "cot_answer"), S(completion[i], "completion"));

            Assert.Equal(["question", "gold_final_answer", "context"], Keys(eval[i]));
            var cot = S(raft[i], "cot_answer");
            Assert.Equal(cot[(cot.LastIndexOf("<ANSWER>:", StringComparison.Ordinal) + 9)..].Trim(), S(eval[i], "gold_final_answer"));
            Assert.Equal(S(raft[i], "oracle_context"), S(eval[i], "context"));
            Assert.Equal(S(raft[i], "question"), S(eval[i], "question"));
        }
    }

    [Fact]
    public void Llama_factory_files_and_dataset_info_agree()
    {
        var lf = Path.Combine(_dir["out"], "llamafactory");
        var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(lf, "dataset_info.json"))).RootElement;
        Assert.Equal(["ragtune_raft_alpaca_train", "ragtune_raft_sharegpt_train", "ragtune_raft_alpaca_test", "ragtune_raft_sharegpt_test"], Keys(info));
        var raft = Lines("raft_train.jsonl");

        var alpacaInfo = info.GetProperty("ragtune_raft_alpaca_train");
        Assert.Equal("alpaca", S(alpacaInfo, "formatting"));
        Assert.Equal("""{"prompt":"instruction","query":"input","response":"output","system":"system"}""", alpacaInfo.GetProperty("columns").Compact());
        var alpaca = JsonDocument.Parse(File.ReadAllText(Path.Combine(lf, S(alpacaInfo, "file_name")))).RootElement.EnumerateArray().ToList();
        Assert.Equal(raft.Count, alpaca.Count);
        for (var i = 0; i < raft.Count; i++)
        {
            Assert.Equal(["instruction", "input", "output", "system"], Keys(alpaca[i]));
            Assert.Equal(S(raft[i], "instruction"), S(alpaca[i], "instruction"));
            Assert.Equal("", S(alpaca[i], "input"));
            Assert.Equal(S(raft[i], "cot_answer"), S(alpaca[i], "output"));
        }

        var shareInfo = info.GetProperty("ragtune_raft_sharegpt_train");
        Assert.Equal("sharegpt", S(shareInfo, "formatting"));
        Assert.Equal("""{"messages":"conversations","system":"system"}""", shareInfo.GetProperty("columns").Compact());
        Assert.Equal("""{"role_tag":"from","content_tag":"value","user_tag":"human","assistant_tag":"gpt"}""", shareInfo.GetProperty("tags").Compact());
        var share = JsonDocument.Parse(File.ReadAllText(Path.Combine(lf, S(shareInfo, "file_name")))).RootElement.EnumerateArray().ToList();
        Assert.Equal(raft.Count, share.Count);
        for (var i = 0; i < raft.Count; i++)
        {
            Assert.Equal(["conversations", "system"], Keys(share[i]));
            var c = share[i].GetProperty("conversations").EnumerateArray().ToList();
            Assert.Equal(["human", "gpt"], c.Select(x => S(x, "from")));
            Assert.Equal(S(raft[i], "instruction"), S(c[0], "value"));
            Assert.Equal(S(raft[i], "cot_answer"), S(c[1], "value"));
        }
    }

    [Fact]
    public void Flag_embedding_lines_have_mined_negatives_from_other_documents()
    {
        var byText = _chunks.ToDictionary(c => c.Text);
        foreach (var e in Lines("flagembedding_train.jsonl").Concat(Lines("flagembedding_test.jsonl")))
        {
            Assert.Equal(["query", "pos", "neg", "prompt"], Keys(e));
            var pos = Assert.Single(e.GetProperty("pos").EnumerateArray().ToList()).GetString()!;
            var neg = e.GetProperty("neg").EnumerateArray().Select(n => n.GetString()!).ToList();
            Assert.Equal(7, neg.Count);
            Assert.Equal(7, neg.Distinct().Count());
            Assert.All(neg, n => Assert.NotEqual(byText[pos].DocumentId, byText[n].DocumentId));
            var zh = RaftResponder.IsChinese(S(e, "query"));
            Assert.Equal(zh ? RaftExporter.BgeQueryPromptZh : RaftExporter.BgeQueryPromptEn, S(e, "prompt"));
        }
    }

    [Fact]
    public async Task Without_a_corpus_negatives_are_the_examples_distractors_and_optional_fields_are_left_out()
    {
        var ct = TestContext.Current.CancellationToken;
        var result = await RaftExporter.ExportAsync(_dir["run"], _dir["plain"], new RaftExportOptions
        {
            Formats = RaftExportFormats.FlagEmbedding | RaftExportFormats.Chat | RaftExportFormats.Alpaca,
            EmbeddingPrompt = "",
        }, ct);
        Assert.Equal(["rag_format.json", "chat_train.jsonl", "llamafactory/alpaca_train.json", "flagembedding_train.jsonl", "chat_test.jsonl", "llamafactory/alpaca_test.json", "flagembedding_test.jsonl", "llamafactory/dataset_info.json"],
            result.Files.Select(f => Path.GetRelativePath(_dir["plain"], f)));
        var examples = RaftDataset.Load(_dir["run"]).Examples.Where(x => x.Split == "train").ToList();
        var lines = File.ReadAllLines(Path.Combine(_dir["plain"], "flagembedding_train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal(["query", "pos", "neg"], Keys(lines[i]));
            var expected = examples[i].Documents.Where((_, j) => examples[i].DocumentIds[j] != examples[i].ChunkId);
            Assert.Equal(expected, lines[i].GetProperty("neg").EnumerateArray().Select(n => n.GetString()));
        }
        var chat = JsonDocument.Parse(File.ReadLines(Path.Combine(_dir["plain"], "chat_train.jsonl")).First()).RootElement;
        Assert.Equal(["user", "assistant"], chat.GetProperty("messages").EnumerateArray().Select(m => S(m, "role")));
        var alpaca = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir["plain"], "llamafactory", "alpaca_train.json"))).RootElement[0];
        Assert.Equal(["instruction", "input", "output"], Keys(alpaca));
    }

    [Fact]
    public void Jsonl_is_utf8_without_bom_and_keeps_chinese_readable()
    {
        var bytes = File.ReadAllBytes(Path.Combine(_dir["out"], "raft_train.jsonl"));
        Assert.False(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF);
        var text = global::System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Contains("工厂", text);
        Assert.DoesNotContain("\\u", text);
        Assert.DoesNotContain("\r", text);
    }
}

internal static class JsonElementExtensions
{
    public static string Compact(this JsonElement e) => JsonSerializer.Serialize(e);
}
