// kill -9 during generation: the CLI runs as a child process, is killed with chunks in flight, and the rerun loses, duplicates and re-asks nothing.
using RagTune.Cli.Tests;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Runs;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class KillResumeTests
{
    [Fact]
    public async Task Killed_child_process_resumes_without_lost_duplicated_or_repeated_work()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var chunks = TestCorpus.English(4, 2);
        RagtuneCli.WriteChunks(dir["chunks.jsonl"], chunks);
        await using var server = await ScriptedOpenAIServer.StartAsync();
        // One chunk = 1 question call + 2 answer calls, one at a time: from request 9 on (the 4th chunk) the server goes silent.
        server.Hold = r => r.Index >= 9;
        string[] args = ["raft", "generate", "--chunks", dir["chunks.jsonl"], "--run", dir["run"], "--endpoint", server.BaseUrl.ToString(),
            "--model", "m", "--api-key", "k", "--questions", "2", "--distractors", "2", "--concurrency", "1", "--test-fraction", "0.25"];
        var journal = Path.Combine(dir["run"], RunDirectory.JournalFile);

        using (var child = ChildCli.Start(args))
        {
            await child.WaitUntilAsync(() => server.HeldCount >= 1 && File.Exists(journal) && File.ReadAllLines(journal).Length == 3,
                TimeSpan.FromSeconds(40), "the 4th chunk", ct);
            child.Process.Kill(entireProcessTree: true);
            await child.Process.WaitForExitAsync(ct);
        }
        var finished = Journal<RaftChunkRecord>.ReadAll(journal, RaftJson.Lines).Select(r => r.ChunkId).ToList();
        Assert.Equal(chunks.Take(3).Select(c => c.Id), finished);
        var requestsBefore = server.Requests.Count;
        Assert.Equal(10, requestsBefore);

        server.Hold = null;
        var (code, output, error) = await RagtuneCli.RunAsync(args);
        Assert.True(code == 0, error + output);

        var records = Journal<RaftChunkRecord>.ReadAll(journal, RaftJson.Lines);
        Assert.Equal(chunks.Select(c => c.Id).Order(), records.Select(r => r.ChunkId).Order());
        var dataset = RaftDataset.Load(dir["run"]);
        Assert.Equal(16, dataset.Examples.Count);
        Assert.Equal(16, dataset.Examples.Select(e => e.Id).Distinct().Count());
        Assert.Equal(0, dataset.DuplicatesRemoved);
        // Only the 5 unfinished chunks were asked about again: 15 calls, none mentioning a finished chunk.
        var after = server.Requests.Skip(requestsBefore).ToList();
        Assert.Equal(15, after.Count);
        var finishedTexts = chunks.Take(3).Select(c => c.Text).ToList();
        Assert.DoesNotContain(after, r => finishedTexts.Any(t => r.User.Contains(t)));
    }
}
