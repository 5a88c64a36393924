// Crash safety of the embedded store: a process killed mid-ingestion leaves the last commit readable and consistent,
// an interrupted commit (new generation written, manifest not swapped, torn temporary manifest) is rolled back on open,
// and the next run finishes the work with the same result as a clean ingestion.
using System.Diagnostics;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class CrashSafetyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void WriteLargerCorpus(TempFolder corpus)
    {
        StoreTestKit.WriteCorpus(corpus);
        corpus.Write("extra/a.md", "# Rivers\n\nThe river floods every spring and leaves fertile silt on the fields.");
        corpus.Write("extra/b.txt", "Mountains shape the weather: moist air rises, cools and falls as rain on the windward side.");
    }

    [Fact]
    public async Task KillDuringIngestionLeavesTheLastCommitAndTheRerunEqualsACleanBuild()
    {
        using var corpus = new TempFolder();
        WriteLargerCorpus(corpus);
        using var dir = new TempFolder();
        string kbDir = Path.Combine(dir.Path, "killed");
        await (await StoreTestKit.CreateAsync(kbDir, new CountingEmbedder())).DisposeAsync();

        // Files go in path order, one commit each: bread.txt, extra/a.md are committed, the third file blocks.
        string output = await RunChildUntilBlockedThenKillAsync(kbDir, corpus.Path, blockAt: 3);
        Assert.Contains("commits=2", output);

        await using (var afterKill = await StoreTestKit.OpenAsync(kbDir, new CountingEmbedder()))
        {
            var documents = await afterKill.Store.GetDocumentsAsync(Ct);
            Assert.Equal(["bread.txt", "extra/a.md"], documents.Select(d => d.Id));
            var stats = await afterKill.GetStatsAsync(Ct);
            Assert.Equal(stats.ChunksPerLevel[1], stats.LexicalDocuments);
            Assert.Equal(stats.ChunksPerLevel[1], stats.Vectors);
            foreach (var query in StoreTestKit.Queries.Append("river floods"))
            {
                var hits = await afterKill.SearchAsync(query, new KnowledgeSearchOptions { K = 10, ReturnParent = true }, Ct);
                Assert.All(hits, h => Assert.Contains(h.DocumentId, new[] { "bread.txt", "extra/a.md" }));
            }
            Assert.Equal("bread.txt", (await afterKill.SearchAsync("sourdough", cancellationToken: Ct))[0].DocumentId);

            var rerun = await afterKill.AddFolderAsync(corpus.Path, cancellationToken: Ct);
            Assert.Equal(2, rerun.Unchanged);
            Assert.Equal(4, rerun.Added.Count);
        }
        Assert.Empty(Directory.GetFiles(kbDir, "*.tmp"));
        Assert.Single(Directory.GetDirectories(kbDir, "gen-*"));

        await AssertEqualsCleanBuildAsync(kbDir, corpus.Path, Path.Combine(dir.Path, "clean"));
    }

    [Fact]
    public async Task AnInterruptedCommitIsRolledBackOnOpenAndTheRerunCompletesIt()
    {
        using var corpus = new TempFolder();
        WriteLargerCorpus(corpus);
        using var dir = new TempFolder();
        string kbDir = Path.Combine(dir.Path, "torn");
        int commits = 0;
        TestHooks.BeforeManifestSwap.Value = generationDir =>
        {
            if (++commits == 2) throw new IOException("simulated crash between writing " + Path.GetFileName(generationDir) + " and the manifest swap");
        };
        try
        {
            await using var kb = await StoreTestKit.CreateAsync(kbDir, new CountingEmbedder());
            await Assert.ThrowsAsync<IOException>(() => kb.AddFolderAsync(corpus.Path, new IngestOptions { CommitEveryFiles = 1 }, cancellationToken: Ct));
        }
        finally
        {
            TestHooks.BeforeManifestSwap.Value = null;
        }
        Assert.True(Directory.Exists(Path.Combine(kbDir, "gen-00000002")));
        // A manifest write torn by the same crash: half a JSON object in the temporary file.
        await File.WriteAllTextAsync(Path.Combine(kbDir, "manifest.json.tmp"), "{\"format\":\"ragtune-kb\",\"gener", Ct);

        await using (var reopened = await StoreTestKit.OpenAsync(kbDir, new CountingEmbedder()))
        {
            Assert.Equal(["bread.txt"], (await reopened.Store.GetDocumentsAsync(Ct)).Select(d => d.Id));
            Assert.Equal(1, (await reopened.GetStatsAsync(Ct)).Generation);
            Assert.False(Directory.Exists(Path.Combine(kbDir, "gen-00000002")));
            Assert.False(File.Exists(Path.Combine(kbDir, "manifest.json.tmp")));
            var rerun = await reopened.AddFolderAsync(corpus.Path, cancellationToken: Ct);
            Assert.Equal(1, rerun.Unchanged);
            Assert.Equal(5, rerun.Added.Count);
        }

        await AssertEqualsCleanBuildAsync(kbDir, corpus.Path, Path.Combine(dir.Path, "clean"));
    }

    [Fact]
    public async Task ASecondWriterIsRefusedWhileTheLockIsHeld()
    {
        using var dir = new TempFolder();
        await using var kb = await StoreTestKit.CreateAsync(dir.Path, new CountingEmbedder());
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using (new FileStream(Path.Combine(dir.Path, "write.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var e = await Assert.ThrowsAsync<KnowledgeException>(() => kb.AddFolderAsync(corpus.Path, cancellationToken: Ct));
            Assert.Contains("another process is writing", e.Message);
        }
        Assert.Equal(4, (await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct)).Added.Count);
    }

    [Fact]
    public async Task AWriterWhoseViewIsStaleIsRefusedAndAReaderSeesOnlyCommits()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var dir = new TempFolder();
        await (await StoreTestKit.CreateAsync(dir.Path, null, embed: false)).DisposeAsync();
        await using var first = await KnowledgeBase.OpenAsync(dir.Path, cancellationToken: Ct);
        await using var second = await KnowledgeBase.OpenAsync(dir.Path, cancellationToken: Ct);
        await first.AddFolderAsync(corpus.Path, cancellationToken: Ct);

        // The second instance still holds generation 0: committing over generation 1 would lose the first one's work.
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => second.AddFolderAsync(corpus.Path, cancellationToken: Ct));
        Assert.Contains("another process committed generation 1 after this one opened generation 0", e.Message);
        Assert.Empty(await second.Store.GetDocumentsAsync(Ct));
        await using var third = await KnowledgeBase.OpenAsync(dir.Path, cancellationToken: Ct);
        Assert.Equal(4, (await third.Store.GetDocumentsAsync(Ct)).Count);
    }

    [Fact]
    public async Task SearchesRunConsistentlyWhileIngestionCommits()
    {
        using var corpus = new TempFolder();
        WriteLargerCorpus(corpus);
        using var dir = new TempFolder();
        var embedder = new CountingEmbedder { BeforeBatch = _ => Task.Delay(20) };
        await using var kb = await StoreTestKit.CreateAsync(dir.Path, embedder);
        var ingestion = kb.AddFolderAsync(corpus.Path, new IngestOptions { CommitEveryFiles = 1 }, cancellationToken: Ct);
        int searches = 0;
        while (!ingestion.IsCompleted || searches == 0)
        {
            foreach (var query in StoreTestKit.Queries)
            {
                var hits = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 10, ReturnParent = true }, Ct);
                // Whatever has been applied so far: every hit is a whole, stored chunk of a stored document.
                foreach (var hit in hits)
                {
                    var stored = Assert.Single(await kb.Store.GetChunksAsync([hit.ChunkId], Ct));
                    Assert.Equal(stored.Text, hit.Text);
                    Assert.Equal(0, hit.Level);
                }
                searches++;
            }
        }
        Assert.Equal(6, (await ingestion).Added.Count);
        Assert.True(searches > 0);
    }

    /// <summary>The knowledge base in <paramref name="kbDir"/>, reopened, has the chunks and rankings of one built from scratch.</summary>
    private static async Task AssertEqualsCleanBuildAsync(string kbDir, string corpus, string cleanDir)
    {
        await using var resumed = await StoreTestKit.OpenAsync(kbDir, new CountingEmbedder());
        await using var clean = await StoreTestKit.CreateAsync(cleanDir, new CountingEmbedder());
        await clean.AddFolderAsync(corpus, cancellationToken: Ct);
        Assert.Equal(await StoreTestKit.SnapshotAsync(clean), await StoreTestKit.SnapshotAsync(resumed));
    }

    /// <summary>Starts this test executable as the ingestion child, waits until it blocks mid-ingestion, kills it (the whole
    /// process tree, like kill -9) and returns what it printed.</summary>
    private static async Task<string> RunChildUntilBlockedThenKillAsync(string kbDir, string folder, int blockAt)
    {
        string assembly = typeof(CrashChild).Assembly.Location;
        string appHost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        var start = File.Exists(appHost) ? new ProcessStartInfo(appHost) : new ProcessStartInfo("dotnet") { ArgumentList = { "exec", assembly } };
        // xunit's Main runs too; a filter that matches nothing keeps it from running the tests in the child.
        foreach (var arg in new[] { "-method", "RagTune.Knowledge.Tests.Store.CrashChild.NoSuchTest" }) start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment[CrashChild.Variable] = $"{kbDir}|{folder}|{blockAt}";
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the child process");
        var lines = new List<string>();
        var stderr = child.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line == CrashChild.BlockedLine) break;
            }
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(Ct);
        }
        Assert.True(lines.Contains(CrashChild.BlockedLine), $"the child never blocked; stdout:\n{string.Join('\n', lines)}\nstderr:\n{await stderr}");
        return string.Join('\n', lines);
    }
}
