// Progress of a folder load, reported after each file.
namespace RagTune.Knowledge.Loading;

/// <param name="FilesDone">Files handled so far (loaded, failed or skipped by the loaders).</param>
/// <param name="FilesTotal">Files selected for loading.</param>
/// <param name="CurrentPath">Relative path of the file just handled.</param>
/// <param name="Failed">Files or records that failed so far.</param>
public sealed record DocumentReadProgress(int FilesDone, int FilesTotal, string CurrentPath, int Failed);
