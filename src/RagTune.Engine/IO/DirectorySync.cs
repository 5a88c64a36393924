// Flushes a folder's entries to disk (fsync on the folder) so that a rename inside it survives a power loss; .NET has no
// API for this because it refuses to open a directory as a file, hence the two libc calls.
using System.Runtime.InteropServices;

namespace RagTune.Engine.IO;

internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY: the same value on Linux and macOS.

    /// <remarks>
    /// Best effort: the file's own bytes were already flushed, and some file systems (network and FUSE mounts) reject
    /// fsync on a folder, so a failure here is not worth failing a write that is otherwise complete. Windows commits a
    /// rename's metadata with the file system's journal and has no folder handle to flush.
    /// </remarks>
    public static void Flush(string? directory)
    {
        if (OperatingSystem.IsWindows() || string.IsNullOrEmpty(directory)) return;
        int fd = Open(directory, ReadOnly);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
