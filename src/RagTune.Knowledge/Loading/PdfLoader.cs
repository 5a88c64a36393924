// Loads PDF text in-process through PdfPig (pure .NET, no poppler): one text block per page, in content-stream order,
// pages rejoined with blank lines and their start offsets kept for page numbers.
using System.Globalization;
using System.Text;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace RagTune.Knowledge.Loading;

public sealed class PdfLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".pdf"];

    public Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var name = Path.GetFileName(source.RelativePath);
        var pages = ReadPages(source.Bytes, name, cancellationToken);

        // Pages are joined with blank lines so that sentences never run across pages.
        var text = new StringBuilder();
        var pageStarts = new List<int>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            if (i > 0) text.Append("\n\n");
            pageStarts.Add(text.Length);
            text.Append(pages[i]);
        }
        if (text.ToString().Trim().Length == 0)
            throw new KnowledgeException($"cannot read '{name}': found no text on {pages.Count} page(s) (a scanned PDF needs OCR first); expected a PDF with a text layer");
        var metadata = new Dictionary<string, string> { ["pages"] = pages.Count.ToString(CultureInfo.InvariantCulture) };
        IReadOnlyList<DocumentLoadResult> result = [DocumentLoadResult.Ok(source.ToDocument(text.ToString(), null, null, metadata, pageStarts))];
        return Task.FromResult(result);
    }

    private static List<string> ReadPages(byte[] bytes, string name, CancellationToken cancellationToken)
    {
        try
        {
            using var document = PdfDocument.Open(bytes, new ParsingOptions { UseLenientParsing = true });
            var pages = new List<string>(document.NumberOfPages);
            foreach (var page in document.GetPages())
            {
                cancellationToken.ThrowIfCancellationRequested();
                pages.Add(PageText(ContentOrderTextExtractor.GetText(page)));
            }
            return pages;
        }
        catch (PdfDocumentEncryptedException e)
        {
            throw new KnowledgeException($"cannot read '{name}': the PDF is encrypted; expected a PDF without a password", e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // PdfPig reports damaged files through many exception types (PdfDocumentFormatException, InvalidOperationException,
            // index errors from broken tables …); each becomes one error naming the file.
            throw new KnowledgeException($"cannot read '{name}': not a readable PDF ({FirstLine(e.Message)}); expected a PDF file with a text layer", e);
        }
    }

    // Line ends normalised, trailing spaces of every line and blank lines at the page's end removed.
    private static string PageText(string raw)
    {
        var lines = DocumentSource.NormalizeNewlines(raw).Split('\n');
        return string.Join('\n', lines.Select(l => l.TrimEnd())).Trim('\n');
    }

    private static string FirstLine(string text)
    {
        var line = text.Trim().Split('\n', 2)[0].Trim();
        return line.Length == 0 ? "no message" : line;
    }
}
