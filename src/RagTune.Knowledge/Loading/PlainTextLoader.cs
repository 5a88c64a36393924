// Loads .txt files: encoding detected, line ends normalised, the text otherwise kept as written.
namespace RagTune.Knowledge.Loading;

public sealed class PlainTextLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".txt", ".text"];

    public Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        cancellationToken.ThrowIfCancellationRequested();
        var text = source.DecodeText();
        IReadOnlyList<DocumentLoadResult> results = [DocumentLoadResult.Ok(source.ToDocument(text, null))];
        return Task.FromResult(results);
    }
}
