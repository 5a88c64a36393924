// Writes a report file through AtomicFile (temp file, fsync, rename) in UTF-8 without BOM, so a reader never sees half a report.
using RagTune.Engine.IO;

namespace RagTune.Eval.Reports;

internal static class ReportFile
{
    public static async Task WriteAtomicAsync(string path, string content, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await AtomicFile.WriteTextAsync(full, content, cancellationToken).ConfigureAwait(false);
    }
}
