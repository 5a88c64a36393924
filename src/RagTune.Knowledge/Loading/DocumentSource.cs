// A file handed to a loader: where it is, its id-forming relative path, and its bytes (read once, hashed once).
using System.Security.Cryptography;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Loading;

public sealed class DocumentSource
{
    private string? _contentHash;

    public DocumentSource(string fullPath, string relativePath, byte[] bytes)
    {
        FullPath = fullPath;
        RelativePath = relativePath.Replace('\\', '/');
        Bytes = bytes;
    }

    public string FullPath { get; }

    /// <summary>Path relative to the ingested root with '/' separators; the document id.</summary>
    public string RelativePath { get; }

    public byte[] Bytes { get; }

    /// <summary>File name without extension, the title of last resort.</summary>
    public string BaseName => Path.GetFileNameWithoutExtension(FullPath);

    /// <summary>Lower-case hex SHA-256 of <see cref="Bytes"/>.</summary>
    public string ContentHash => _contentHash ??= Sha256Hex(Bytes);

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Decodes the bytes as text (see <see cref="TextDecoder"/>) with line ends normalised to '\n'.</summary>
    public string DecodeText() => NormalizeNewlines(TextDecoder.Decode(Bytes, RelativePath).Text);

    public static string NormalizeNewlines(string text) =>
        text.Contains('\r') ? text.Replace("\r\n", "\n").Replace('\r', '\n') : text;

    /// <summary>Builds the document for this whole file.</summary>
    public Document ToDocument(string text, string? title, IReadOnlyList<DocumentSection>? sections = null,
        IReadOnlyDictionary<string, string>? metadata = null, IReadOnlyList<int>? pageStarts = null) => new()
    {
        Id = RelativePath,
        SourcePath = FullPath,
        RelativePath = RelativePath,
        Title = string.IsNullOrWhiteSpace(title) ? BaseName : title.Trim(),
        Text = text,
        Sections = sections ?? [],
        PageStarts = pageStarts ?? [],
        ContentHash = ContentHash,
        Language = LanguageGuesser.Guess(text),
        Metadata = metadata ?? new Dictionary<string, string>(),
    };
}
