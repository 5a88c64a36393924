// kill -9 or SIGTERM during generation: the CLI runs as a child process, is killed (or stopped) with chunks in flight, and the
// rerun loses, duplicates and re-asks nothing.
using RagTune.Cli.Tests;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Runs;
using RagTune.Raft.Sources;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class KillResumeTests
{
    /// <summary>8 chunks (4 documents × 2) written to chunks.jsonl.</summary>
    private static List<RaftChunk> WriteChunks(TempDir dir)
    {
        var chunks = TestCorpus.English(4, 2);
        RagtuneCli.WriteChunks(dir["chunks.jsonl"], chunks);
        return chunks;
    }

    /// <summary>`raft generate` of 2 questions per chunk into run/ with the scripted server as teacher.</summary>
    private static string[] GenerateArgs(TempDir dir, ScriptedOpenAIServer server, int concurrency) =>
    [
        "raft", "generate", "--chunks", dir["chunks.jsonl"], "--run", dir["run"], "--endpoint", server.BaseUrl.ToString(),
        "--model", "m", "--api-key", "k", "--questions", "2", "--distractors", "2", "--concurrency", concurrency.ToString(), "--test-fraction", "0.25",
    ];
    [Fact]
    public async Task Killed_child_process_resumes_without_lost_duplicated_or_repeated_work()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var chunks = WriteChunks(dir);
        await using var server = await ScriptedOpenAIServer.StartAsync();
        // One chunk = 1 question call + 2 answer calls, one at a time: from request 9 on (the 4th chunk) the server goes silent.
        server.Hold = r => r.Index >= 9;
        var args = GenerateArgs(dir, server, concurrency: 1);
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

    [Fact]
    public async Task Sigterm_stops_generation_with_exit_130_keeping_every_finished_chunk_and_the_rerun_asks_only_the_rest()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var chunks = WriteChunks(dir);
        await using var server = await ScriptedOpenAIServer.StartAsync();
        // Two chunks at a time; every call about chunk 3 hangs, so the other worker finishes the seven others meanwhile and
        // chunk 3 is in flight when the signal comes.
        var stuck = chunks[3].Text;
        server.Hold = r => r.User.Contains(stuck);
        var args = GenerateArgs(dir, server, concurrency: 2);
        var journal = Path.Combine(dir["run"], RunDirectory.JournalFile);

        using (var child = ChildCli.Start(args))
        {
            await child.WaitUntilAsync(() => server.HeldCount >= 1 && File.Exists(journal) && File.ReadAllLines(journal).Length == 7,
                TimeSpan.FromSeconds(40), "seven finished chunks and chunk 3 in flight", ct);
            child.Terminate();
            int code = await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct);
            Assert.True(code == 130, $"exit {code}:\n{child.Output}");
            Assert.Contains("SIGTERM received: stopping at the next safe point", child.Output);
            Assert.Contains("ragtune: cancelled", child.Output);
        }
        var finished = Journal<RaftChunkRecord>.ReadAll(journal, RaftJson.Lines).Select(r => r.ChunkId).ToList();
        Assert.Equal(chunks.Where((_, i) => i != 3).Select(c => c.Id).Order(), finished.Order());
        Assert.EndsWith("\n", File.ReadAllText(journal));
        int requestsBefore = server.Requests.Count;

        server.Hold = null;
        var (code2, output, error) = await RagtuneCli.RunAsync(args);
        Assert.True(code2 == 0, error + output);
        var records = Journal<RaftChunkRecord>.ReadAll(journal, RaftJson.Lines);
        Assert.Equal(chunks.Select(c => c.Id).Order(), records.Select(r => r.ChunkId).Order());
        Assert.Equal(finished, records.Take(7).Select(r => r.ChunkId));
        var dataset = RaftDataset.Load(dir["run"]);
        Assert.Equal(16, dataset.Examples.Count);
        Assert.Equal(16, dataset.Examples.Select(e => e.Id).Distinct().Count());
        // Only chunk 3 was asked about again: its question call and its two answers.
        var after = server.Requests.Skip(requestsBefore).ToList();
        Assert.Equal(3, after.Count);
        Assert.All(after, r => Assert.Contains(stuck, r.User));
    }
}
