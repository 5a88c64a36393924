// Unit tests of the text handling: think blocks, question lists, language detection, chunking, the CoT quality gate.
using RagTune.Knowledge.Rag;
using RagTune.Raft.Generation;
using RagTune.Raft.Sources;
using RagTune.Raft.Teachers;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class ParsingTests
{
    private static readonly RaftOptions Defaults = new();
    private const string Oracle = "The pump runs at 12 bar.\nIt is   inspected every two weeks by team A.";

    [Fact]
    public void Think_splitter_handles_blocks_missing_open_tag_and_truncation()
    {
        Assert.Equal(("answer", null), ThinkSplitter.Split("  answer "));
        Assert.Equal(("a b", "x\ny"), ThinkSplitter.Split("a <think>x</think><think>y</think>b"));
        Assert.Equal(("the answer", "hidden reasoning"), ThinkSplitter.Split("hidden reasoning</think>the answer"));
        Assert.Equal(("visible", "cut off mid-thought"), ThinkSplitter.Split("visible<think>cut off mid-thought"));
        Assert.Equal(("", "only thinking"), ThinkSplitter.Split("<think>only thinking</think>"));
        Assert.Equal("s\ni", ThinkSplitter.Merge("s", "i"));
    }

    [Fact]
    public void Question_parser_strips_markers_headers_and_duplicates()
    {
        var text = "Here are the questions:\n1. What is the pressure?\n2) Who inspects it?\n- What is the pressure ?\n* \"How often is it inspected?\"\n问题3：泵的压力是多少？\nQ4: Why?\n\n**5.** Which team?";
        var q = QuestionParser.Parse(text, 10, out var dups);
        Assert.Equal(["What is the pressure?", "Who inspects it?", "How often is it inspected?", "泵的压力是多少？", "Why?", "Which team?"], q);
        Assert.Equal(1, dups);
        Assert.Equal(2, QuestionParser.Parse(text, 2, out _).Count);
    }

    [Fact]
    public void Language_detection_uses_cjk_share()
    {
        Assert.Equal(RaftLanguage.Chinese, LanguageDetection.Detect("水泵的工作压力为12巴，使用 ISO 9001 标准。"));
        Assert.Equal(RaftLanguage.English, LanguageDetection.Detect("The pump runs at 12 bar (水泵)."));
        Assert.Equal(RaftLanguage.English, LanguageDetection.Detect("12345"));
        Assert.Equal(0.5, LanguageDetection.CjkShare("ab水泵"));
    }

    [Fact]
    public void Gate_accepts_a_quote_that_matches_after_whitespace_normalisation()
    {
        var answer = "Reason: ##begin_quote##It is inspected every\ntwo weeks##end_quote## so.\n<ANSWER>: every two weeks";
        var check = CotQualityGate.Check(answer, Oracle, Defaults);
        Assert.True(check.Passed);
        Assert.Equal("every two weeks", check.FinalAnswer);
        Assert.Equal(["It is inspected every\ntwo weeks"], check.Quotes);
    }

    [Fact]
    public void Gate_normalises_cjk_spacing_and_full_width_forms()
    {
        var oracle = "水泵的工作压力为１２巴。它每两周检查一次。";
        var answer = "##begin_quote## 水泵的 工作压力为12巴。 ##end_quote##\n<ANSWER>: 12巴";
        Assert.True(CotQualityGate.Check(answer, oracle, Defaults).Passed);
    }

    [Theory]
    [InlineData("", DropReason.Empty)]
    [InlineData("   \n ", DropReason.Empty)]
    [InlineData("##begin_quote##The pump runs at 12 bar.##end_quote## so 12 bar.", DropReason.MissingAnswer)]
    [InlineData("##begin_quote##The pump runs at 12 bar.##end_quote##\n<ANSWER>:   ", DropReason.MissingAnswer)]
    [InlineData("##begin_quote##The pump runs at 15 bar.##end_quote##\n<ANSWER>: 15 bar", DropReason.InventedQuote)]
    [InlineData("##begin_quote##  ##end_quote##\n<ANSWER>: 12 bar", DropReason.InventedQuote)]
    [InlineData("It runs at 12 bar.\n<ANSWER>: 12 bar", DropReason.MissingQuote)]
    [InlineData("##begin_quote##The pump runs at 12 bar.\n<ANSWER>: 12 bar", DropReason.UnbalancedQuote)]
    [InlineData("The pump runs##end_quote## at 12 bar.\n<ANSWER>: 12 bar", DropReason.UnbalancedQuote)]
    public void Gate_rejects_bad_answers_with_the_reason(string answer, DropReason reason) =>
        Assert.Equal(reason, CotQualityGate.Check(answer, Oracle, Defaults).Reason);

    [Fact]
    public void Gate_limits_final_answer_length_and_can_waive_quotes()
    {
        var opts = new RaftOptions { MaxFinalAnswerChars = 10, RequireQuote = false };
        Assert.Equal(DropReason.AnswerTooLong, CotQualityGate.Check("<ANSWER>: this answer is far too long", Oracle, opts).Reason);
        Assert.True(CotQualityGate.Check("It runs at 12 bar.\n<ANSWER>: 12 bar", Oracle, opts).Passed);
    }

    [Fact]
    public void Gate_ignores_surrounding_quotation_marks_and_ellipses()
    {
        var answer = "##begin_quote##“...The pump runs at 12 bar.”##end_quote##\n<ANSWER>: 12 bar";
        Assert.True(CotQualityGate.Check(answer, Oracle, Defaults).Passed);
    }

    [Fact]
    public async Task Folder_source_packs_paragraphs_up_to_the_limit()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["sub"]);
        var p = string.Join("\n\n", Enumerable.Range(0, 6).Select(i => $"Paragraph {i} " + new string('x', 60)));
        await File.WriteAllTextAsync(dir["sub/b.md"], "# Manual B\n\n" + p, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(dir["a.txt"], "Short doc.", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(dir["skip.json"], "{}", TestContext.Current.CancellationToken);
        var chunks = await new FolderChunkSource(dir.Path, maxChars: 200).LoadChunksAsync(TestContext.Current.CancellationToken);
        Assert.Equal("a.txt#0", chunks[0].Id);
        Assert.Equal("a.txt", chunks[0].DocumentId);
        Assert.Equal("a", chunks[0].Title);
        var b = chunks.Where(c => c.DocumentId == "sub/b.md").ToList();
        Assert.All(b, c => Assert.True(c.Text.Length <= 200, c.Text));
        Assert.All(b, c => Assert.Equal("Manual B", c.Title));
        Assert.Equal(p.Replace("\n\n", ""), string.Concat(b.Select(c => c.Text)).Replace("\n\n", "").Replace("# Manual B", ""));
        Assert.True(b.Count >= 3);
    }

    [Fact]
    public void Long_paragraphs_are_cut_at_sentence_ends_then_hard()
    {
        var text = "First sentence is here. Second one follows! 第三句话在这里。" + new string('z', 130);
        var pieces = FolderChunkSource.Split(text, 60).ToList();
        Assert.All(pieces, s => Assert.True(s.Length <= 60));
        Assert.Equal("First sentence is here. Second one follows! 第三句话在这里。", pieces[0]);
        Assert.Equal(new string('z', 60), pieces[1]);
        Assert.Equal(text.Replace(" ", ""), string.Concat(pieces).Replace(" ", ""));
    }

    [Fact]
    public async Task Sources_report_bad_input_clearly()
    {
        using var dir = new TempDir();
        var missing = await Assert.ThrowsAsync<RaftException>(() => new FolderChunkSource(dir["nope"]).LoadChunksAsync(TestContext.Current.CancellationToken));
        Assert.Contains("does not exist", missing.Message);
        await File.WriteAllTextAsync(dir["c.jsonl"], "{\"id\":\"1\",\"document_id\":\"d\",\"text\":\"t\"}\n{\"id\":\"2\",\"text\":\"t\"}\n", TestContext.Current.CancellationToken);
        var field = await Assert.ThrowsAsync<RaftException>(() => new JsonlChunkSource(dir["c.jsonl"]).LoadChunksAsync(TestContext.Current.CancellationToken));
        Assert.Contains("c.jsonl:2", field.Message);
        Assert.Contains("document_id", field.Message);
    }

    [Fact]
    public void Prompt_template_fills_in_one_pass()
    {
        var filled = PromptTemplate.Fill("Q: {question} C: {chunk} {unknown}", new Dictionary<string, string> { ["question"] = "what is {chunk}?", ["chunk"] = "text" });
        Assert.Equal("Q: what is {chunk}? C: text {unknown}", filled);
    }
}
