// `ragtune kb … --store postgres` end to end on Debian's stock PostgreSQL server (no pgvector): create, add, search,
// stats and remove through the directory link, and a `kb add` killed with SIGKILL mid-ingest, then run again.
using RagTune.Engine.Tests.Tensors;
using RagTune.Knowledge.Postgres.Tests;
using Xunit;

namespace RagTune.Cli.Tests.Kb;

[Collection(DebianPostgresCollection.Name)]
public sealed class KbPostgresTests(DebianPostgresServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Docs => _temp.File("docs");
    private string KbDir => _temp.File("kb");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<CliResult> Run(params string[] args) => CliHarness.RunAsync(args, null, Ct);

    private async Task<string> CreateAsync()
    {
        string schema = server.NewStore().Schema;
        var created = await Run("kb", "create", KbDir, "--store", "postgres", "--connection", server.ConnectionString, "--schema", schema,
            "--levels", "60,20", "--overlap", "4", "--chinese", "bigram");
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Contains($"PostgreSQL schema {schema}", created.Stdout);
        return schema;
    }

    private void WriteDocs(int count, int wordsPerFile = 150)
    {
        Directory.CreateDirectory(Docs);
        string[] words = ["tea", "harvest", "spring", "知识", "检索", "graph", "oven", "yeast", "layer", "recall"];
        for (int n = 0; n < count; n++)
            File.WriteAllText(Path.Combine(Docs, $"note{n:D4}.txt"),
                string.Join(" ", Enumerable.Range(0, wordsPerFile).Select(i => words[(i * (n % 7 + 1) + n) % words.Length] + (i % 11 == 0 ? "." : ""))));
    }

    private async Task<long> CountAsync(string schema, string table) => (long)(await server.ScalarAsync($"SELECT count(*) FROM \"{schema}\".{table}"))!;

    [Fact]
    public async Task Create_add_search_stats_remove_with_store_postgres_on_a_server_without_pgvector()
    {
        // Regressions: create ran CREATE EXTENSION vector (0A000 on a stock server); add and search opened the
        // directory as an embedded store and did not find kb.json next to the link.
        WriteDocs(3);
        string schema = await CreateAsync();
        var added = await Run("kb", "add", KbDir, Docs);
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Matches(@"added\s+│\s+3", added.Stdout);

        var search = await Run("kb", "search", KbDir, "tea harvest", "-k", "2");
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Contains("note", search.Stdout);
        var stats = await Run("kb", "stats", KbDir);
        Assert.True(stats.ExitCode == 0, stats.Stderr);
        var removed = await Run("kb", "remove", KbDir, "note0001.txt");
        Assert.True(removed.ExitCode == 0, removed.Stderr);
        Assert.Equal(2L, await CountAsync(schema, "documents"));
        Assert.Empty(await server.InconsistenciesAsync(schema));
    }

    [Fact]
    public async Task Kb_add_killed_mid_ingest_leaves_a_consistent_knowledge_base_and_a_rerun_completes_without_duplicates()
    {
        // Enough work that ingest spans several 1-second commit intervals on an idle machine too (1,500 short files fit
        // in one interval, so the first commit was the last).
        const int files = 4000;
        WriteDocs(files, wordsPerFile: 600);
        string schema = await CreateAsync();

        // SIGKILL right after the first commit: no finally block, no flush, the connection dies with the process.
        string? line = await KilledChild.RunUntilAsync(["kb", "add", KbDir, Docs, "--commit-seconds", "1"], "committed (1)", Ct);
        Assert.True(line is not null, "kb add never reported its first commit");
        long committed = await CountAsync(schema, "files");
        Assert.True(committed is > 0 and < files, $"the kill should land mid-ingest: {committed} of {files} files were committed (raise the file count if ingest finished within one commit interval)");
        Assert.Empty(await server.InconsistenciesAsync(schema));
        Assert.Equal(committed, await CountAsync(schema, "documents"));

        var rerun = await Run("kb", "add", KbDir, Docs);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Matches($@"added\s+│\s+{files - committed}\b", rerun.Stdout);
        Assert.Matches($@"unchanged\s+│\s+{committed}\b", rerun.Stdout);
        Assert.Equal((long)files, await CountAsync(schema, "files"));
        Assert.Equal((long)files, await CountAsync(schema, "documents"));
        Assert.Empty(await server.InconsistenciesAsync(schema));
    }
}
