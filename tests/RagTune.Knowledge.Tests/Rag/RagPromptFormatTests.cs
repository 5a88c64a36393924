// RagPromptFormat: raft.py's defaults byte for byte, a custom format through its sidecar file, old folders without one,
// and one clear error per bad file.
using RagTune.Knowledge.Rag;
using Xunit;

namespace RagTune.Knowledge.Tests.Rag;

public sealed class RagPromptFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragformat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Default_is_gorilla_raft_layout()
    {
        var f = RagPromptFormat.Default;
        Assert.Equal("<DOCUMENT>a</DOCUMENT>\n<DOCUMENT>b {x}</DOCUMENT>\nQ {document}?", f.BuildInstruction(["a", "b {x}"], "Q {document}?"));
        Assert.Equal("Q?", f.BuildInstruction([], "Q?"));
        Assert.Null(f.SystemPrompt);
        const string cot = "##begin_quote##one##end_quote## and ##begin_quote## two ##end_quote## <ANSWER>: x <ANSWER>:  42 km ";
        Assert.Equal("42 km", f.FinalAnswer(cot));
        Assert.Equal(["one", " two "], f.Quotes(cot));
        Assert.Equal(["a"], f.Quotes("##begin_quote##a##end_quote## ##begin_quote##cut off"));
        Assert.Equal("plain", f.FinalAnswer(" plain\n"));
    }

    [Fact]
    public void Custom_format_round_trips_through_its_sidecar()
    {
        var custom = new RagPromptFormat
        {
            DocumentTemplate = "【文档】{document}\n",
            InstructionTemplate = "Read:\n{documents}---\nQuestion: {question}",
            AnswerMarker = "FINAL:",
            QuoteBegin = "<<",
            QuoteEnd = ">>",
            SystemPrompt = "Answer from the documents.",
        };
        string path = custom.Save(_dir);
        Assert.Equal(Path.Combine(_dir, RagPromptFormat.FileName), path);
        var loaded = RagPromptFormat.Load(path);
        Assert.Equal(custom, loaded);
        Assert.Equal(custom, RagPromptFormat.LoadBeside(Path.Combine(_dir, "chat_train.jsonl")));
        Assert.Equal(custom, RagPromptFormat.LoadBeside(_dir));
        Assert.Equal("Read:\n【文档】a\n【文档】b\n---\nQuestion: q", loaded.BuildInstruction(["a", "b"], "q"));
        Assert.Equal("7", loaded.FinalAnswer("<<x>> FINAL: 7"));
        Assert.Equal(["x"], loaded.Quotes("<<x>> FINAL: 7"));
    }

    [Fact]
    public void Folders_without_a_recorded_format_use_the_default()
    {
        Assert.Null(RagPromptFormat.TryLoadFrom(_dir));
        Assert.Same(RagPromptFormat.Default, RagPromptFormat.LoadBeside(Path.Combine(_dir, "eval_test.jsonl")));
    }

    [Theory]
    [InlineData("{\"document_template\": \"no placeholder\"}", "lacks the {document} placeholder")]
    [InlineData("{\"instruction_template\": \"{question}\"}", "must contain {documents} and {question}")]
    [InlineData("{\"answer_marker\": 3}", "field 'answer_marker' is number; expected a string")]
    [InlineData("{\"format\": \"other\"}", "field 'format' is 'other'")]
    [InlineData("{\"version\": 2}", "field 'version' is 2; expected 1")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{oops", "not valid JSON")]
    public void Bad_files_name_the_file_and_the_field(string json, string expected)
    {
        string path = Path.Combine(_dir, RagPromptFormat.FileName);
        File.WriteAllText(path, json);
        var e = Assert.Throws<KnowledgeException>(() => RagPromptFormat.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }
}
