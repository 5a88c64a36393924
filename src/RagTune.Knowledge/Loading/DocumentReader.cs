// Loads a folder of mixed documents: recursive, glob-filtered, hidden files skipped; one bad file becomes an error
// result and the batch goes on; a summary closes the batch.
namespace RagTune.Knowledge.Loading;

public sealed class DocumentReader
{
    private static readonly EnumerationOptions OneLevel = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = 0,
        IgnoreInaccessible = true,
        ReturnSpecialDirectories = false,
    };

    private readonly DocumentLoaderRegistry _registry;

    public DocumentReader(DocumentLoaderRegistry? registry = null) => _registry = registry ?? DocumentLoaderRegistry.CreateDefault();

    /// <summary>Loads every supported file under <paramref name="folder"/>. Only a missing folder or cancellation throws.</summary>
    public async Task<DocumentReadResult> LoadFolderAsync(string folder, DocumentReaderOptions? options = null,
        IProgress<DocumentReadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new DocumentReaderOptions();
        var (selected, skipped) = SelectFiles(folder, options);
        var results = new List<DocumentLoadResult>();
        var failed = 0;
        for (var i = 0; i < selected.Count; i++)
        {
            var (fullPath, relativePath) = selected[i];
            var fileResults = await LoadFileAsync(fullPath, relativePath, options, cancellationToken).ConfigureAwait(false);
            results.AddRange(fileResults);
            failed += fileResults.Count(r => !r.Succeeded);
            progress?.Report(new DocumentReadProgress(i + 1, selected.Count, relativePath, failed));
        }
        return new DocumentReadResult(results, Summarize(results, skipped));
    }

    /// <summary>The files <see cref="LoadFolderAsync"/> would load (full and relative path, in path order) and those it
    /// would skip, without reading any; incremental ingestion hashes these and loads only the changed ones.</summary>
    public (IReadOnlyList<(string FullPath, string RelativePath)> Selected, IReadOnlyList<FileIssue> Skipped) SelectFiles(
        string folder, DocumentReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new DocumentReaderOptions();
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new KnowledgeException($"cannot read folder '{folder}': it does not exist or is not a directory; expected a folder of documents");
        var include = options.Include.Select(p => new GlobPattern(p)).ToList();
        var exclude = options.Exclude.Select(p => new GlobPattern(p)).ToList();
        var selected = new List<(string FullPath, string RelativePath)>();
        var skipped = new List<FileIssue>();
        Walk(new DirectoryInfo(root), "", options, include, exclude, selected, skipped);
        return (selected, skipped);
    }

    /// <summary>Loads one file outside any folder batch; its file name becomes the document id. Never throws for a bad file.</summary>
    public Task<IReadOnlyList<DocumentLoadResult>> LoadFileAsync(string path, DocumentReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        return LoadFileAsync(fullPath, Path.GetFileName(fullPath), options, cancellationToken);
    }

    /// <summary>Loads one file; <paramref name="relativePath"/> becomes the document id. Never throws for a bad file.</summary>
    public async Task<IReadOnlyList<DocumentLoadResult>> LoadFileAsync(string fullPath, string relativePath,
        DocumentReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fullPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        options ??= new DocumentReaderOptions();
        relativePath = relativePath.Replace('\\', '/');
        if (!_registry.TryGetLoader(fullPath, out var loader))
            return [DocumentLoadResult.Failed(fullPath, relativePath, $"cannot read '{relativePath}': no loader for '{Path.GetExtension(fullPath)}' files; expected one of {string.Join(' ', _registry.Extensions.Order(StringComparer.Ordinal))}")];
        try
        {
            var info = new FileInfo(fullPath);
            if (info.Exists && info.Length > options.MaxFileBytes)
                return [DocumentLoadResult.Failed(fullPath, relativePath, $"cannot read '{relativePath}': {info.Length} bytes, more than the limit of {options.MaxFileBytes} (DocumentReaderOptions.MaxFileBytes)")];
            var bytes = await File.ReadAllBytesAsync(fullPath, cancellationToken).ConfigureAwait(false);
            var results = await loader.LoadAsync(new DocumentSource(fullPath, relativePath, bytes), options.Load, cancellationToken).ConfigureAwait(false);
            return DocumentLimits.Enforce(results, options.Load.MaxDocumentChars);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (KnowledgeException e)
        {
            return [DocumentLoadResult.Failed(fullPath, relativePath, e.Message)];
        }
        catch (Exception e)
        {
            // A parser or the file system failing on one file must not end the batch; the reason goes into the summary.
            return [DocumentLoadResult.Failed(fullPath, relativePath, $"cannot read '{relativePath}': {e.GetType().Name}: {e.Message}")];
        }
    }

    private void Walk(DirectoryInfo directory, string prefix, DocumentReaderOptions options, List<GlobPattern> include,
        List<GlobPattern> exclude, List<(string, string)> selected, List<FileIssue> skipped)
    {
        var entries = directory.EnumerateFileSystemInfos("*", OneLevel).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        foreach (var entry in entries)
        {
            var relative = prefix + entry.Name;
            var hidden = entry.Name.StartsWith('.') || entry.Attributes.HasFlag(FileAttributes.Hidden);
            if (entry is DirectoryInfo subdirectory)
            {
                if (hidden && !options.IncludeHidden) { skipped.Add(new FileIssue(relative + "/", "hidden directory")); continue; }
                if (exclude.FirstOrDefault(g => g.IsMatch(relative) || g.IsMatch(relative + "/")) is { } excludedDir)
                {
                    skipped.Add(new FileIssue(relative + "/", $"excluded by '{excludedDir.Pattern}'"));
                    continue;
                }
                if (entry.LinkTarget is not null) { skipped.Add(new FileIssue(relative + "/", "symbolic link to a directory (not followed)")); continue; }
                Walk(subdirectory, relative + "/", options, include, exclude, selected, skipped);
                continue;
            }
            if (hidden && !options.IncludeHidden) { skipped.Add(new FileIssue(relative, "hidden file")); continue; }
            if (exclude.FirstOrDefault(g => g.IsMatch(relative)) is { } excluded) { skipped.Add(new FileIssue(relative, $"excluded by '{excluded.Pattern}'")); continue; }
            if (include.Count > 0 && !include.Any(g => g.IsMatch(relative))) { skipped.Add(new FileIssue(relative, "not matched by any include pattern")); continue; }
            if (!_registry.TryGetLoader(entry.Name, out _)) { skipped.Add(new FileIssue(relative, $"no loader for '{Path.GetExtension(entry.Name)}' files")); continue; }
            selected.Add((entry.FullName, relative));
        }
    }

    private static LoadSummary Summarize(List<DocumentLoadResult> results, IReadOnlyList<FileIssue> skipped)
    {
        var byExtension = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var result in results.Where(r => r.Succeeded))
        {
            var extension = Path.GetExtension(result.SourcePath).ToLowerInvariant();
            byExtension[extension] = byExtension.GetValueOrDefault(extension) + 1;
        }
        return new LoadSummary
        {
            FilesLoaded = results.Where(r => r.Succeeded).Select(r => r.SourcePath).Distinct(StringComparer.Ordinal).Count(),
            DocumentsLoaded = results.Count(r => r.Succeeded),
            Failed = results.Where(r => !r.Succeeded).Select(r => new FileIssue(r.RelativePath, r.Error!)).ToList(),
            Skipped = skipped,
            ByExtension = byExtension,
        };
    }
}
