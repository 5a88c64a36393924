// A memory-mapped, validated safetensors file: tensor lookup by name, raw pointers and float32 conversion.
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace RagTune.Engine.Tensors;

public sealed unsafe partial class SafeTensorFile : IMappedFile, IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, TensorInfo> _byName;
    private bool _disposed;

    public string Path { get; }
    public long FileLength { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors in the order of their data offsets (the order of the bytes in the file).</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>True once disposed: pointers into the file are no longer valid.</summary>
    public bool IsDisposed => _disposed;

    private SafeTensorFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer,
        IReadOnlyDictionary<string, string> metadata, List<TensorInfo> tensors)
    {
        Path = path;
        FileLength = length;
        _map = map;
        _view = view;
        _base = basePointer;
        Metadata = metadata;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public static SafeTensorFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!BitConverter.IsLittleEndian)
            throw new EngineException("safetensors data is little-endian; big-endian hosts are not supported");
        var fileInfo = new FileInfo(path);
        if (!fileInfo.Exists)
            throw new EngineException($"{path}: safetensors file not found");
        long length = fileInfo.Length;
        if (length < 8)
            throw new EngineException($"{path}: file has {length} bytes but a safetensors file needs at least 8 (header length)");

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool pointerAcquired = false;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointerAcquired = true;
            pointer += view.PointerOffset;

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(pointer, 8));
            if (headerLength > SafeTensorHeader.MaxHeaderLength)
                throw new EngineException($"{path}: header length {headerLength} exceeds the limit of {SafeTensorHeader.MaxHeaderLength} bytes (not a safetensors file?)");
            if (8 + (long)headerLength > length)
                throw new EngineException($"{path}: header length {headerLength} runs past the end of the {length}-byte file (truncated header)");
            long dataStart = 8 + (long)headerLength;
            var (metadata, tensors) = SafeTensorHeader.Parse(
                new ReadOnlySpan<byte>(pointer + 8, (int)headerLength), path, dataStart, length - dataStart);
            return new SafeTensorFile(path, length, map, view, pointer, metadata, tensors);
        }
        catch
        {
            if (pointerAcquired)
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGetInfo(string name, out TensorInfo info) => _byName.TryGetValue(name, out info!);

    public TensorInfo Info(string name) => _byName.TryGetValue(name, out var info)
        ? info
        : throw new EngineException($"{Path}: tensor '{name}' not found");

    /// <summary>Pointer to the tensor's first byte; valid until this file is disposed.</summary>
    public byte* GetPointer(string name) => GetPointer(Info(name));

    internal byte* GetPointer(TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + info.DataOffset;
    }

    /// <summary>The tensor's raw little-endian bytes (tensors under 2 GB).</summary>
    public ReadOnlySpan<byte> GetBytes(string name) => GetBytes(Info(name));

    internal ReadOnlySpan<byte> GetBytes(TensorInfo info)
    {
        if (info.ByteLength > int.MaxValue)
            throw new EngineException($"{Path}: tensor '{info.Name}' has {info.ByteLength} bytes, too large for a span; use GetPointer");
        return new ReadOnlySpan<byte>(GetPointer(info), (int)info.ByteLength);
    }

    /// <summary>Reads a F32, F16, BF16 or F64 tensor as float32.</summary>
    public float[] ReadFloat32(string name) => ReadFloat32(Info(name));

    internal float[] ReadFloat32(TensorInfo info)
    {
        CheckFloat(info);
        if (info.ElementCount > Array.MaxLength)
            throw new EngineException($"{Path}: tensor '{info.Name}' has {info.ElementCount} elements, more than an array can hold");
        var result = new float[info.ElementCount];
        ReadFloat32(info, result);
        return result;
    }

    public void ReadFloat32(string name, Span<float> destination) => ReadFloat32(Info(name), destination);

    internal void ReadFloat32(TensorInfo info, Span<float> destination)
    {
        CheckFloat(info);
        if (destination.Length != info.ElementCount)
            throw new EngineException($"{Path}: tensor '{info.Name}' has {info.ElementCount} elements but the destination holds {destination.Length}");
        byte* source = GetPointer(info);
        int size = DTypes.SizeOf(info.DType);
        // Chunks keep each source span under 2 GB even when the tensor's bytes are not.
        const int chunk = 1 << 24;
        for (int start = 0; start < destination.Length; start += chunk)
        {
            int count = Math.Min(chunk, destination.Length - start);
            var bytes = new ReadOnlySpan<byte>(source + (long)start * size, count * size);
            var target = destination.Slice(start, count);
            switch (info.DType)
            {
                case DType.F32:
                    MemoryMarshal.Cast<byte, float>(bytes).CopyTo(target);
                    break;
                case DType.F16:
                    ReducedPrecision.HalfToFloat(MemoryMarshal.Cast<byte, ushort>(bytes), target);
                    break;
                case DType.BF16:
                    ReducedPrecision.BF16ToFloat(MemoryMarshal.Cast<byte, ushort>(bytes), target);
                    break;
                case DType.F64:
                    var doubles = MemoryMarshal.Cast<byte, double>(bytes);
                    for (int i = 0; i < doubles.Length; i++)
                        target[i] = (float)doubles[i];
                    break;
            }
        }
    }

    /// <summary>Tells the OS this process is done with the tensor's mapped pages (Linux madvise MADV_DONTNEED), so a tensor
    /// converted at load (to bf16/q8, from f16) stops counting in the resident set; a later read faults them back in from
    /// the page cache. Elsewhere, and on failure, it does nothing: it only saves memory.</summary>
    public void ReleasePages(TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!OperatingSystem.IsLinux() || info.ByteLength == 0) return;
        long page = Environment.SystemPageSize;
        long start = (long)(_base + info.DataOffset) / page * page;
        long end = (long)(_base + info.DataOffset + info.ByteLength);
        _ = NativeMethods.madvise((nint)start, (nuint)(end - start), NativeMethods.MadvDontNeed);
    }

    private static partial class NativeMethods
    {
        public const int MadvDontNeed = 4;

        [LibraryImport("libc", SetLastError = true)]
        public static partial int madvise(nint address, nuint length, int advice);
    }

    private void CheckFloat(TensorInfo info)
    {
        if (!DTypes.IsConvertibleToFloat32(info.DType))
            throw new EngineException($"{Path}: tensor '{info.Name}' has dtype {DTypes.Name(info.DType)}; only F32, F16, BF16 and F64 convert to float32");
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    // Models read weights in place from the mapping; one dropped without Dispose still unmaps when collected (the acquired
    // pointer would otherwise keep the view, and its resident pages, alive until the process ends).
    ~SafeTensorFile() => Release();

    private void Release()
    {
        if (_disposed)
            return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
