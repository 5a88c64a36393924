// Writes a file so that a reader sees the old content or the new, never half of it: a temporary file beside the target,
// flushed to disk, renamed over it, then the folder flushed so the rename survives a power loss too.
using System.Text;

namespace RagTune.Engine.IO;

/// <remarks>
/// The temporary file is <c>&lt;target&gt;.tmp</c>: a crash leaves at most one of them per target, which the next write
/// replaces and which owners of a folder may sweep (<c>*.tmp</c>). Two writers of the same target at once are not
/// supported; callers serialise their writes.
/// </remarks>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The temporary name a write to <paramref name="path"/> uses until its rename.</summary>
    public static string TemporaryPath(string path) => path + ".tmp";

    /// <summary>Runs <paramref name="write"/> on a temporary file beside <paramref name="path"/>, flushes it to disk and
    /// renames it over <paramref name="path"/>; on failure the temporary file is removed and the target left as it was.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string tmp = TemporaryPath(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            DeleteQuietly(tmp);
            throw;
        }
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>The asynchronous form of <see cref="Write"/>: <paramref name="write"/> may stream a large file; a cancelled
    /// or failed write removes the temporary file and leaves the target as it was.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        cancellationToken.ThrowIfCancellationRequested();
        string tmp = TemporaryPath(path);
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(fs, cancellationToken).ConfigureAwait(false);
                await fs.FlushAsync(cancellationToken).ConfigureAwait(false);
                // There is no asynchronous fsync; this blocks only for the flush of an already written file.
                fs.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            DeleteQuietly(tmp);
            throw;
        }
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark (what File.WriteAllText writes).</summary>
    public static void WriteText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream => stream.Write(Utf8NoBom.GetBytes(text)));
    }

    /// <summary>The asynchronous form of <see cref="WriteText"/>.</summary>
    public static Task WriteTextAsync(string path, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return WriteAsync(path, (stream, ct) => stream.WriteAsync(Utf8NoBom.GetBytes(text), ct).AsTask(), cancellationToken);
    }

    private static void DeleteQuietly(string tmp)
    {
        try { File.Delete(tmp); } catch (IOException) { /* the original error matters more */ }
        catch (UnauthorizedAccessException) { /* likewise */ }
    }
}
