// Which files of a folder to ingest and how to load them.
namespace RagTune.Knowledge.Loading;

public sealed record DocumentReaderOptions
{
    /// <summary>Globs a file must match (any of them) to be loaded; empty = every file with a registered loader.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Globs that exclude a file (or, matching a directory path, everything below it).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Load files and descend into directories whose name starts with '.' or that carry the hidden attribute.</summary>
    public bool IncludeHidden { get; init; }

    /// <summary>Files larger than this fail with an error instead of being read into memory.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;

    public DocumentLoadOptions Load { get; init; } = new();
}
