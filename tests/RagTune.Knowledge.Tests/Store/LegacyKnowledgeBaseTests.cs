// Knowledge bases written before the jieba dictionary was embedded and PDFs were read in-process still open: kb.json
// and the BM25 manifest name Debian's python3-jieba dict.txt, and kb.json carries the pdftotext loader settings.
using System.Text.Json.Nodes;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class LegacyKnowledgeBaseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_knowledge_base_that_names_debians_dictionary_and_pdftotext_opens_with_the_built_in_ones()
    {
        using var dir = new TempFolder();
        StoreTestKit.WriteCorpus(Path.Combine(dir.Path, "docs"));
        string kbDir = Path.Combine(dir.Path, "kb");
        var options = StoreTestKit.Options(embed: false) with
        {
            Lexical = new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Jieba } },
        };
        await using (var kb = await KnowledgeBase.CreateAsync(kbDir, options, cancellationToken: Ct))
            await kb.AddFolderAsync(Path.Combine(dir.Path, "docs"), cancellationToken: Ct);

        // Rewrite the files as the previous version wrote them on a machine with python3-jieba and poppler-utils.
        int rewritten = 0;
        foreach (string file in Directory.EnumerateFiles(kbDir, "*.json", SearchOption.AllDirectories))
        {
            var json = JsonNode.Parse(await File.ReadAllTextAsync(file, Ct))!;
            bool changed = false;
            foreach (var analyzerNode in new[] { json["lexical"]?["analyzer"], json["analyzer"] }.OfType<JsonObject>())
            {
                analyzerNode["dictionary_path"] = JiebaDictionary.DebianDictionaryPath;
                changed = true;
            }
            if (json["reader"]?["load"] is JsonObject load)
            {
                load["pdf_to_text_path"] = "pdftotext";
                load["pdf_timeout"] = "00:02:00";
                changed = true;
            }
            if (!changed) continue;
            await File.WriteAllTextAsync(file, json.ToJsonString(), Ct);
            rewritten++;
        }
        Assert.True(rewritten >= 2, $"expected kb.json and the BM25 manifest to carry analyzer settings; rewrote {rewritten} files");

        await using var reopened = await KnowledgeBase.OpenAsync(kbDir, cancellationToken: Ct);
        var analyzer = Assert.IsType<TextAnalyzer>(reopened.Store.Analyzer);
        Assert.Equal(ChineseMode.Jieba, analyzer.Options.ChineseMode);
        Assert.Null(analyzer.Options.DictionaryPath);
        var hits = await reopened.SearchAsync("知识库 检索", new KnowledgeSearchOptions { K = 3 }, Ct);
        Assert.NotEmpty(hits);
        Assert.StartsWith("zh/", hits[0].DocumentId, StringComparison.Ordinal);
    }
}
