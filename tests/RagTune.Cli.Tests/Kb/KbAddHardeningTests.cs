// `ragtune kb add` against what broke it: hostile files in a folder (run as a child process, since a stack overflow ends
// the process), single files and several paths, SIGTERM mid-run (what is done is committed, the rerun adds the rest) and a
// read-only file system (named as such, not as a lock).
using System.Diagnostics;
using System.Text;
using RagTune.Engine.Tests.Tensors;
using RagTune.Knowledge.Tests.Embeddings;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Cli.Tests.Kb;

[Collection(ConsoleCollection.Name)]
public sealed class KbAddHardeningTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Docs => _temp.File("docs");
    private string KbDir => _temp.File("kb");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<CliResult> Run(params string[] args) => CliHarness.RunAsync(args, null, Ct);

    private void Write(string relativePath, byte[] bytes)
    {
        var path = Path.Combine(Docs, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private void Write(string relativePath, string text) => Write(relativePath, Encoding.UTF8.GetBytes(text));

    private async Task CreateAsync(params string[] extra)
    {
        var created = await Run(["kb", "create", KbDir, "--levels", "60,20", "--overlap", "4", "--chinese", "bigram", .. extra]);
        Assert.True(created.ExitCode == 0, created.Stderr);
    }

    private static async Task<(int Code, string Output)> RunChildAsync(params string[] args)
    {
        using var child = ChildCli.Start(args);
        int code = await child.WaitForExitAsync(TimeSpan.FromMinutes(4), Ct);
        return (code, child.Output);
    }

    [Fact]
    public async Task Hostile_files_are_reported_and_skipped_the_rest_ingests_and_the_rerun_does_not_block()
    {
        Write("a-good.txt", "Sourdough starter is flour and water fermented by wild yeast.");
        Write("deep.html", HostileFiles.DeepHtml());
        Write("deep.docx", HostileFiles.DeepDocx());
        Write("bomb.docx", HostileFiles.BombDocx(2_000_000));
        Write("z-good.md", "# Bread\n\nBake at 230 degrees.");
        await CreateAsync("--max-document-chars", "100000");

        for (var run = 0; run < 2; run++)
        {
            var (code, output) = await RunChildAsync("kb", "add", KbDir, Docs);
            // Before the loaders walked without recursion, the child died of a stack overflow here on every run.
            Assert.True(code == 0, $"run {run + 1}: exit {code}\n{output}");
            Assert.Matches(run == 0 ? @"added\s+│\s+3" : @"unchanged\s+│\s+3", output);
            Assert.Matches(@"failed\s+│\s+2", output);
            Assert.Matches(@"deep\.html\s+│\s+cannot read 'deep\.html': its HTML elements nest more than 1000 levels", output);
            Assert.Matches(@"bomb\.docx\s+│\s+cannot read 'bomb\.docx': its text is longer than 100000 characters", output);
        }
        var search = await Run("kb", "search", KbDir, "deep", "--json");
        Assert.Contains("deep.docx", search.Stdout);
        var stats = await Run("kb", "stats", KbDir);
        Assert.Matches(@"documents\s+│\s+3", stats.Stdout);
        Assert.Matches(@"files\s+│\s+3\s", stats.Stdout);
    }

    [Fact]
    public async Task Stats_count_only_files_that_gave_documents_and_show_empty_ones_apart()
    {
        // Regression (issue 16): a file whose only document was refused (its id taken by another folder's file) was
        // recorded and counted as a file, and never reported again.
        Write("a/notes.md", "# Tea\n\nOolong is partly oxidised tea.");
        Write("b/notes.md", "# Coffee\n\nEspresso is brewed under pressure.");
        Write("b/empty.json", "[]");
        await CreateAsync();
        Assert.Equal(0, (await Run("kb", "add", KbDir, Path.Combine(Docs, "a"))).ExitCode);
        for (var run = 0; run < 2; run++)
        {
            var add = await Run("kb", "add", KbDir, Path.Combine(Docs, "b"));
            Assert.Matches(@"notes\.md\s+│\s+document id 'notes\.md' is already taken", add.Stdout);
        }
        var stats = await Run("kb", "stats", KbDir);
        Assert.Matches(@"files\s+│\s+1\s", stats.Stdout);
        Assert.Matches(@"files without documents\s+│\s+1\s", stats.Stdout);
        Assert.Matches(@"documents\s+│\s+1\s", stats.Stdout);
    }

    [Fact]
    public async Task A_single_file_and_several_paths_are_accepted()
    {
        Write("records.jsonl", "{\"text\": \"The pump runs at 12 bar.\"}\n{\"text\": \"It is inspected weekly.\"}\n");
        Write("folder/one.txt", "Valves are checked monthly.");
        Write("other/two.md", "# Seals\n\nSeals are replaced yearly.");
        await CreateAsync();

        var single = await Run("kb", "add", KbDir, Path.Combine(Docs, "records.jsonl"));
        Assert.True(single.ExitCode == 0, single.Stderr);
        Assert.Matches(@"added\s+│\s+1", single.Stdout);
        Assert.Matches(@"documents indexed\s+│\s+2", single.Stdout);

        var several = await Run("kb", "add", KbDir, Path.Combine(Docs, "folder"), Path.Combine(Docs, "other", "two.md"), Path.Combine(Docs, "records.jsonl"));
        Assert.True(several.ExitCode == 0, several.Stderr);
        Assert.Matches(@"added\s+│\s+2", several.Stdout);
        Assert.Matches(@"unchanged\s+│\s+1", several.Stdout);
        var stats = await Run("kb", "stats", KbDir);
        Assert.Matches(@"documents\s+│\s+4", stats.Stdout);
        Assert.Contains("two.md", (await Run("kb", "search", KbDir, "seals", "--json")).Stdout);

        var missing = await Run("kb", "add", KbDir, Path.Combine(Docs, "nope.txt"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("cannot add '", missing.Stderr);
        Assert.Contains("nope.txt': no such file or folder", missing.Stderr);
    }

    [Fact]
    public async Task Sigterm_commits_the_finished_files_then_exits_130_and_the_rerun_adds_only_the_rest()
    {
        const int files = 8;
        for (var i = 1; i <= files; i++) Write($"f{i:D2}.txt", $"Record {i}: machine {i} is serviced every {i} days.");
        await using var server = await FakeEmbeddingsServer.StartAsync();
        await CreateAsync("--embedding-endpoint", server.Endpoint.ToString(), "--embedding-model", "fake-embed");
        // The embedding of file 5 is never answered: files 1-4 are done, and with a commit interval of an hour nothing
        // would be durable when the signal comes unless kb add commits on the way out.
        server.Hold = inputs => inputs.Any(t => t.Contains("machine 5 ", StringComparison.Ordinal));
        string[] args = ["kb", "add", KbDir, Docs, "--commit-seconds", "3600"];
        using (var child = ChildCli.Start(args))
        {
            await child.WaitUntilAsync(() => server.HeldCount >= 1, TimeSpan.FromMinutes(2), "the embedding of file 5", Ct);
            child.Terminate();
            int code = await child.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct);
            Assert.True(code == 130, $"exit {code}:\n{child.Output}");
            Assert.Contains("the files finished so far are committed", child.Output);
        }
        var stats = await Run("kb", "stats", KbDir);
        Assert.Matches(@"files\s+│\s+4", stats.Stdout);
        Assert.Matches(@"documents\s+│\s+4", stats.Stdout);

        server.Hold = null;
        var rerun = await Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Matches(@"added\s+│\s+4", rerun.Stdout);
        Assert.Matches(@"unchanged\s+│\s+4", rerun.Stdout);
        stats = await Run("kb", "stats", KbDir);
        Assert.Matches($@"documents\s+│\s+{files}\s", stats.Stdout);
    }

    [Fact]
    public async Task A_read_only_file_system_is_named_as_such_not_as_a_lock()
    {
        Write("one.txt", "Valves are checked monthly.");
        await CreateAsync();
        Assert.Equal(0, (await Run("kb", "add", KbDir, Docs)).ExitCode);
        Write("two.txt", "Seals are replaced yearly.");

        // A real read-only file system: the knowledge base bind-mounted read-only (root ignores chmod, not a ro mount).
        string readOnly = _temp.File("kb-ro");
        Directory.CreateDirectory(readOnly);
        if (!Mount("--bind", KbDir, readOnly))
            Assert.Skip("mount --bind is not permitted here (needs root with CAP_SYS_ADMIN); the read-only case cannot be reproduced honestly");
        try
        {
            Assert.True(Mount("-o", "remount,ro,bind", readOnly), "remount read-only failed");
            var added = await Run("kb", "add", readOnly, Docs);
            Assert.Equal(1, added.ExitCode);
            Assert.Contains("the folder is not writable", added.Stderr);
            Assert.Contains("Read-only file system", added.Stderr);
            Assert.DoesNotContain("another process", added.Stderr);
            // Reading still works on a read-only knowledge base.
            var search = await Run("kb", "search", readOnly, "valves", "--json");
            Assert.True(search.ExitCode == 0, search.Stderr);
            Assert.Contains("one.txt", search.Stdout);
        }
        finally
        {
            Assert.True(Unmount(readOnly), $"umount {readOnly} failed");
        }
    }

    private static bool Mount(params string[] args) => RunTool("mount", [.. args]);

    private static bool Unmount(string path) => RunTool("umount", [path]);

    private static bool RunTool(string tool, string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(psi)!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
