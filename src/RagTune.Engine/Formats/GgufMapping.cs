// A GGUF file's tensor data mapped read-only into memory: quantised matrices are read in place from the page cache (a
// 400 MB Q4_K_M file is not copied into managed arrays), the other tensors are widened from it at load. The file's
// header was parsed by GgufFile; every extent is checked against it (TensorByteCount) before a pointer is handed out.
// Mapped pages are the OS's: resident while used, shared between processes, dropped under memory pressure.
using System.IO.MemoryMappedFiles;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Formats;

public sealed unsafe class GgufMapping : IMappedFile, IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private bool _disposed;

    private GgufMapping(GgufFile file, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer)
    {
        File = file;
        _map = map;
        _view = view;
        _base = basePointer;
    }

    public GgufFile File { get; }

    public string Path => File.Path;

    public bool IsDisposed => _disposed;

    /// <summary>Maps <paramref name="file"/> read-only. A file that has shrunk since its header was read is refused (its
    /// tensors would fault past the end of the mapping).</summary>
    public static GgufMapping Open(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        long length = new FileInfo(file.Path).Length;
        if (length < file.Length)
            throw new EngineException($"{file.Path}: the file has {length} bytes now but {file.Length} when its header was read (it changed while loading)");
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            map = MemoryMappedFile.CreateFromFile(file.Path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            return new GgufMapping(file, map, view, pointer + view.PointerOffset);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            throw;
        }
    }

    /// <summary>The first byte of <paramref name="tensor"/>'s data, after <see cref="GgufFile.TensorByteCount"/>'s checks
    /// (type, whole blocks, inside the file); <paramref name="bytes"/> is its length.</summary>
    public byte* Pointer(GgufTensorInfo tensor, out long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        bytes = File.TensorByteCount(tensor);
        return _base + File.DataOffset + (long)tensor.Offset;
    }

    /// <summary>The data of <paramref name="tensor"/> as stored (valid until this mapping is disposed).</summary>
    public ReadOnlySpan<byte> TensorData(GgufTensorInfo tensor)
    {
        byte* p = Pointer(tensor, out long bytes);
        if (bytes > int.MaxValue)
            throw new EngineException($"{Path}: tensor '{tensor.Name}' has {bytes} bytes, more than one span can hold");
        return new ReadOnlySpan<byte>(p, (int)bytes);
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    // Matrices read weights in place from the mapping; one dropped without Dispose still unmaps when collected.
    ~GgufMapping() => Release();

    private void Release()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
