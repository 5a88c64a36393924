// Writes a JSONL export durably through AtomicFile: a crash or a cancellation mid-write leaves the previous file (or none),
// never half of the new one.
using System.Text;
using System.Text.Json.Nodes;
using RagTune.Engine.IO;

namespace RagTune.Raft.Export;

internal static class JsonLinesFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>One compact object per line, UTF-8 without BOM, "\n" line ends; the file appears only once complete.</summary>
    public static void Write(string path, IEnumerable<JsonObject> lines) => AtomicFile.Write(path, stream =>
    {
        using var w = new StreamWriter(stream, Utf8NoBom, leaveOpen: true) { NewLine = "\n" };
        foreach (var line in lines)
            w.WriteLine(line.ToJsonString(RaftJson.Lines));
    });

    /// <summary>As <see cref="Write"/> for lines that are produced asynchronously (mined negatives): streamed into the
    /// temporary file as they come; cancelling in between removes it and leaves the target as it was.</summary>
    public static Task WriteAsync(string path, IAsyncEnumerable<JsonObject> lines, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await using var w = new StreamWriter(stream, Utf8NoBom, leaveOpen: true) { NewLine = "\n" };
            await foreach (var line in lines.WithCancellation(ct).ConfigureAwait(false))
                await w.WriteLineAsync(line.ToJsonString(RaftJson.Lines).AsMemory(), ct).ConfigureAwait(false);
        }, cancellationToken);
}
