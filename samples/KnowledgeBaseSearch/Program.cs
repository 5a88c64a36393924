// Quick start: a knowledge base over a folder (Markdown and a PDF; Chinese segmented by jieba's built-in dictionary),
// then a hybrid search whose hits carry the document, the page and the matched terms.
using RagTune.Knowledge.Store;

string docs = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "docs");
string directory = Path.Combine(Path.GetTempPath(), $"ragtune-sample-kb-{Guid.NewGuid():N}");
try
{
    // Defaults: chunks of 1024/256/128 tokens, BM25 over jieba words; pass KnowledgeBaseOptions to add a dense route.
    await using var kb = await KnowledgeBase.CreateAsync(directory);
    var summary = await kb.AddFolderAsync(docs);
    Console.WriteLine($"indexed {summary.DocumentsIndexed} documents, {summary.Failed.Count} failed");
    Console.WriteLine($"chinese: {kb.Options.Lexical.Analyzer.ChineseMode}, dictionary: {kb.Options.Lexical.Analyzer.DictionaryPath ?? "built-in"}");

    foreach (var query in new[] { "混合检索用什么分词？", "文本块重叠多少个词元" })
    {
        var hits = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 2 });
        Console.WriteLine($"{query} -> {hits[0].DocumentId} [{string.Join(" ", hits[0].MatchedTerms)}]");
    }
}
finally
{
    if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
}
