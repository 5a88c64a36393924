// Reading eval sets: the RAFT eval export, RAFT training rows, plain question/answers JSONL, and per-line errors.
using RagTune.Eval.Data;

namespace RagTune.Eval.Tests.Data;

public sealed class EvalSetReaderTests
{
    [Fact]
    public void ReadsTheRaftEvalExportWithNestedContext()
    {
        const string line = """{"question": "长江有多长？", "gold_final_answer": "6300公里", "context": {"title": [["t1", "t2"]], "sentences": [["长江全长6300公里。", "黄河全长5464公里。"]]}, "oracle_context": "长江全长6300公里。"}""";
        var items = EvalSetReader.Parse([line], "eval.jsonl");
        var item = Assert.Single(items);
        Assert.Equal("line-1", item.Id);
        Assert.Equal(["6300公里"], item.Answers);
        Assert.Equal(2, item.Documents.Count);
        Assert.True(item.Documents[0].IsOracle);
        Assert.False(item.Documents[1].IsOracle);
        Assert.Equal("t2", item.Documents[1].Title);
        Assert.Equal([item.Documents[0].Id], item.OracleIds);
    }

    [Fact]
    public void ReadsPlainAnswersRaftRowsAndObjectContexts()
    {
        string[] lines =
        [
            """{"id": 7, "question": "Q1?", "answers": ["a", {"text": "b"}], "context": ["d1", "d2"], "oracle_id": "7#1"}""",
            "",
            """{"id": "r2", "question": "Q2?", "cot_answer": "because ##begin_quote##x##end_quote## <ANSWER>: forty-two", "context": [{"id": "kb-9", "text": "x", "is_oracle": true}]}""",
            """{"question": "Q3?", "answer": "single"}""",
        ];
        var items = EvalSetReader.Parse(lines, "set.jsonl");
        Assert.Equal(3, items.Count);
        Assert.Equal("7", items[0].Id);
        Assert.Equal(["a", "b"], items[0].Answers);
        Assert.True(items[0].Documents[1].IsOracle);
        Assert.Equal(["7#1"], items[0].OracleIds);
        Assert.Equal(["forty-two"], items[1].Answers);
        Assert.Equal(["kb-9"], items[1].OracleIds);
        Assert.Equal("line-4", items[2].Id);
        Assert.Empty(items[2].Documents);
    }

    [Theory]
    [InlineData("""{"answers": ["a"]}""", "set.jsonl:2: field 'question' is missing")]
    [InlineData("""{"question": "q"}""", "set.jsonl:2: no reference answer")]
    [InlineData("""{"question": "q", "answers": []}""", "set.jsonl:2: field 'answers' is empty")]
    [InlineData("""{"question": "q", "answers": "a"}""", "set.jsonl:2: field 'answers' is a JSON String")]
    [InlineData("""{"question": 5, "answers": ["a"]}""", "set.jsonl:2: field 'question' is a JSON Number")]
    [InlineData("""{"question": "q", "answers": ["a"], "context": 3}""", "set.jsonl:2: field 'context' is a JSON Number")]
    [InlineData("""{"question": "q", "answers": ["a"]""", "set.jsonl:2: not valid JSON")]
    [InlineData("""["q"]""", "set.jsonl:2: found a JSON Array")]
    [InlineData("""{"id": "x", "question": "q", "answers": ["a"]}""", "set.jsonl:2: field 'id' repeats 'x'")]
    public void BadLinesNameFileLineAndField(string secondLine, string expectedStart)
    {
        string[] lines = ["""{"id": "x", "question": "ok", "answers": ["fine"]}""", secondLine];
        var ex = Assert.Throws<EvalException>(() => EvalSetReader.Parse(lines, "set.jsonl"));
        Assert.StartsWith(expectedStart, ex.Message);
        Assert.Contains("expected", ex.Message);
    }

    [Fact]
    public async Task MissingFileAndEmptySetAreClearErrors()
    {
        var ct = TestContext.Current.CancellationToken;
        var missing = Path.Combine(Path.GetTempPath(), $"ragtune-missing-{Guid.NewGuid():N}.jsonl");
        var ex = await Assert.ThrowsAsync<EvalException>(() => EvalSetReader.ReadAsync(missing, ct));
        Assert.Contains(missing, ex.Message);
        Assert.Throws<EvalException>(() => EvalSetReader.Parse(["", "  "], "empty.jsonl"));
    }
}
