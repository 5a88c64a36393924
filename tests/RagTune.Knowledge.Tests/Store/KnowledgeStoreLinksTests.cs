// Directories that link to a store elsewhere (store.json): opened through the opener registered for the link's kind.
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class KnowledgeStoreLinksTests
{
    [Fact]
    public async Task A_link_of_a_kind_nobody_registered_fails_with_one_line_naming_the_file_and_kind()
    {
        using var folder = new TempFolder();
        string link = folder.Write(KnowledgeStoreLinks.FileName, """{ "kind": "oracle-test-kind", "connection_string": "x", "schema": "s" }""");

        var error = await Assert.ThrowsAsync<KnowledgeException>(() => KnowledgeBase.OpenAsync(folder.Path, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains(link, error.Message);
        Assert.Contains("store kind 'oracle-test-kind' is not available", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_registered_kind_opens_through_its_opener()
    {
        using var folder = new TempFolder();
        folder.Write(KnowledgeStoreLinks.FileName, """{ "kind": "embedded-elsewhere-test" }""");
        string target = Path.Combine(folder.Path, "target");
        await (await KnowledgeBase.CreateAsync(target, StoreTestKit.Options(embed: false), cancellationToken: TestContext.Current.CancellationToken)).DisposeAsync();
        KnowledgeStoreLinks.Register("embedded-elsewhere-test", (_, ct) => KnowledgeBase.OpenStoreAsync(target, ct));

        await using var kb = await KnowledgeBase.OpenAsync(folder.Path, cancellationToken: TestContext.Current.CancellationToken);

        Assert.IsType<FileSystemKnowledgeStore>(kb.Store);
        Assert.Equal(EmbeddingKind.None, kb.Options.Embedding.Kind);
    }
}
