// The child half of the kill -9 test: when the test executable starts with RAGTUNE_KB_CRASH_CHILD set, it ingests a
// folder into an existing knowledge base with a commit per file and then blocks inside an embedding call, so the parent
// can kill it mid-ingestion at a known point. Without the variable it does nothing.
// (The parent runs the test executable with a -method filter that matches no test, so xunit itself stays idle.)
using System.Runtime.CompilerServices;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Tests.Store;

internal static class CrashChild
{
    public const string Variable = "RAGTUNE_KB_CRASH_CHILD";
    public const string BlockedLine = "blocked-in-embedding";

#pragma warning disable CA2255 // A module initializer is the one hook that runs before xunit's generated Main in the child.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunIfChild()
    {
        // Value: "<kb dir>|<folder>|<embedding batch to block in>".
        string? value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value)) return;
        var parts = value.Split('|');
        // Not on this thread: until the initializer returns, every other thread touching this module's types waits for it,
        // so awaiting here would deadlock. A foreground thread keeps the process alive (blocked) until the parent kills it;
        // the parent passes arguments that make xunit's own Main run no tests meanwhile.
        new Thread(() =>
        {
            try
            {
                RunAsync(parts[0], parts[1], int.Parse(parts[2])).GetAwaiter().GetResult();
                Environment.Exit(0);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine(e);
                Environment.Exit(3);
            }
        }) { IsBackground = false, Name = "crash-child" }.Start();
    }

    private static async Task RunAsync(string kbDir, string folder, int blockAt)
    {
        var embedder = new CountingEmbedder
        {
            BeforeBatch = async batch =>
            {
                if (batch < blockAt) return;
                Console.Out.WriteLine(BlockedLine);
                Console.Out.Flush();
                await Task.Delay(Timeout.Infinite);
            },
        };
        await using var kb = await KnowledgeBase.OpenAsync(kbDir, new KnowledgeBaseOpenOptions { EmbeddingGenerator = embedder });
        var progress = new ConsoleProgress();
        await kb.AddFolderAsync(folder, new IngestOptions { CommitEveryFiles = 1 }, progress);
    }

    /// <summary>Prints synchronously, so every line is out before the child blocks (Progress&lt;T&gt; would post later).</summary>
    private sealed class ConsoleProgress : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => Console.Out.WriteLine($"progress {value.FilesDone}/{value.FilesTotal} commits={value.Commits}");
    }
}
