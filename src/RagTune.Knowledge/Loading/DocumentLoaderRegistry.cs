// Maps file extensions to loaders; the default registry knows txt, md, html, docx, pdf and json/jsonl.
namespace RagTune.Knowledge.Loading;

public sealed class DocumentLoaderRegistry
{
    private readonly Dictionary<string, IDocumentLoader> _byExtension = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry with every built-in loader.</summary>
    public static DocumentLoaderRegistry CreateDefault()
    {
        var registry = new DocumentLoaderRegistry();
        registry.Register(new PlainTextLoader());
        registry.Register(new MarkdownLoader());
        registry.Register(new HtmlLoader());
        registry.Register(new DocxLoader());
        registry.Register(new PdfLoader());
        registry.Register(new JsonLoader());
        return registry;
    }

    public IEnumerable<string> Extensions => _byExtension.Keys;

    /// <summary>Adds a loader for each of its extensions, replacing any earlier loader for them.</summary>
    public DocumentLoaderRegistry Register(IDocumentLoader loader)
    {
        ArgumentNullException.ThrowIfNull(loader);
        foreach (var extension in loader.Extensions)
            _byExtension[extension.StartsWith('.') ? extension : "." + extension] = loader;
        return this;
    }

    public bool TryGetLoader(string path, out IDocumentLoader loader)
    {
        loader = null!;
        var extension = Path.GetExtension(path);
        return extension.Length > 0 && _byExtension.TryGetValue(extension, out loader!);
    }
}
