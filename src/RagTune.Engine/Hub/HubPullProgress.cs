// Progress of a pull: the file being transferred and the running totals.
namespace RagTune.Engine.Hub;

/// <param name="File">Path of the file within the repository.</param>
/// <param name="FileIndex">0-based index of the file among <paramref name="FileCount"/> selected files.</param>
/// <param name="FileBytes">Bytes of this file present so far (including a resumed part or a cached copy).</param>
/// <param name="FileSize">Size of this file when the Hub states it.</param>
/// <param name="TotalBytes">Bytes of all selected files present so far.</param>
/// <param name="TotalSize">Sum of the stated sizes of all selected files.</param>
/// <param name="Completed">True once this file is verified and in place (or was already cached).</param>
public sealed record HubPullProgress(string File, int FileIndex, int FileCount, long FileBytes, long? FileSize,
    long TotalBytes, long TotalSize, bool Completed);
