// Loads PDF text through poppler's pdftotext (no PDF parser in-process); form feeds between pages give page offsets.
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RagTune.Knowledge.Loading;

public sealed class PdfLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".pdf"];

    public async Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var name = Path.GetFileName(source.RelativePath);
        var raw = await RunPdfToTextAsync(source.FullPath, name, options, cancellationToken).ConfigureAwait(false);

        // pdftotext ends every page with '\f'; pages are rejoined with blank lines so sentences never run across pages.
        var pages = DocumentSource.NormalizeNewlines(raw).Split('\f');
        var count = pages.Length > 1 && pages[^1].Trim().Length == 0 ? pages.Length - 1 : pages.Length;
        var text = new StringBuilder();
        var pageStarts = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            if (i > 0) text.Append("\n\n");
            pageStarts.Add(text.Length);
            text.Append(pages[i].TrimEnd());
        }
        if (text.ToString().Trim().Length == 0)
            throw new KnowledgeException($"cannot read '{name}': pdftotext found no text on {count} page(s) (a scanned PDF needs OCR first); expected a PDF with a text layer");
        var metadata = new Dictionary<string, string> { ["pages"] = count.ToString(CultureInfo.InvariantCulture) };
        return [DocumentLoadResult.Ok(source.ToDocument(text.ToString(), null, null, metadata, pageStarts))];
    }

    private static async Task<string> RunPdfToTextAsync(string path, string name, DocumentLoadOptions options, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.PdfToTextPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var arg in new[] { "-enc", "UTF-8", path, "-" }) start.ArgumentList.Add(arg);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new KnowledgeException($"cannot read '{name}': poppler's pdftotext is not installed (apt-get install poppler-utils); tried '{options.PdfToTextPath}'", e);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.PdfTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var text = await stdout.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new KnowledgeException($"cannot read '{name}': pdftotext exited with code {process.ExitCode} ({FirstLine(errors)}); expected a readable PDF");
            return text;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new KnowledgeException($"cannot read '{name}': pdftotext did not finish within {options.PdfTimeout.TotalSeconds:0} s");
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Trim().Split('\n', 2)[0].Trim();
        return line.Length == 0 ? "no message" : line;
    }
}
