// Writes a report file atomically (temp file + rename) in UTF-8 without BOM, so a reader never sees half a report.
using System.Text;

namespace RagTune.Eval.Reports;

internal static class ReportFile
{
    public static async Task WriteAtomicAsync(string path, string content, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        await File.WriteAllTextAsync(tmp, content, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        File.Move(tmp, full, overwrite: true);
    }
}
