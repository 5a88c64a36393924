// Writes a file so that a reader sees the old content or the new, never half of it: a temporary file beside the target,
// flushed to disk, then renamed over it. Durable writes of every layer go through here.
using System.Text;

namespace RagTune.Engine.IO;

public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Runs <paramref name="write"/> on a temporary file beside <paramref name="path"/>, flushes it to disk and
    /// renames it over <paramref name="path"/>; on failure the temporary file is removed and the target left as it was.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string tmp = path + ".tmp";
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
            try { File.Delete(tmp); } catch (IOException) { /* the original error matters more */ }
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark (what File.WriteAllText writes).</summary>
    public static void WriteText(string path, string text) => Write(path, stream => stream.Write(Utf8NoBom.GetBytes(text)));
}
