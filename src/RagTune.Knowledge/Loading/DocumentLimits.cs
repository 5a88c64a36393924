// The caps of DocumentLoadOptions checked in one place, with one message per cap naming the file, the cap and its setting.
namespace RagTune.Knowledge.Loading;

internal static class DocumentLimits
{
    public static KnowledgeException TooLong(string name, int maxChars) =>
        new($"cannot read '{name}': its text is longer than {maxChars} characters (DocumentLoadOptions.MaxDocumentChars, kb create --max-document-chars); expected a shorter document (split it, or raise the limit)");

    /// <summary>Fails every document of <paramref name="results"/> whose text passed the cap (formats that cannot stop early).</summary>
    public static IReadOnlyList<DocumentLoadResult> Enforce(IReadOnlyList<DocumentLoadResult> results, int maxChars)
    {
        if (results.All(r => r.Document is null || r.Document.Text.Length <= maxChars)) return results;
        return results.Select(r => r.Document is { } d && d.Text.Length > maxChars
            ? DocumentLoadResult.Failed(r.SourcePath, r.RelativePath, TooLong(r.RelativePath, maxChars).Message)
            : r).ToList();
    }
}
