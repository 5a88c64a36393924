// Binary persistence shared by the vector indexes: magic + version header, a body, an FNV-1a 64 checksum trailer,
// written atomically through AtomicFile (temporary file in the same folder, flushed, then renamed over the target).
using System.Runtime.InteropServices;
using System.Text;
using RagTune.Engine.IO;

namespace RagTune.Knowledge.Dense;

internal static class VectorIndexFile
{
    public const uint ExactMagic = 0x58565452; // "RTVX" little-endian
    public const uint HnswMagic = 0x4E485452;  // "RTHN" little-endian
    public const int Version = 1;

    // Sanity limits that tell a corrupt length field from a real one before anything large is allocated.
    public const int MaxDimensions = 1 << 16;
    private const int MaxMetadataEntries = 1 << 16;

    public static void WriteAtomic(string path, uint magic, Action<BinaryWriter> writeBody)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        AtomicFile.Write(full, file =>
        {
            var hashing = new HashingStream(file);
            using (var w = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(magic);
                w.Write(Version);
                writeBody(w);
            }
            Span<byte> trailer = stackalloc byte[8];
            BitConverter.TryWriteBytes(trailer, hashing.Hash);
            file.Write(trailer);
        });
    }

    public static T Read<T>(string path, uint magic, string kind, Func<BinaryReader, T> readBody)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new KnowledgeException($"{path}: {kind} file not found.");
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (file.Length < 16)
                throw new KnowledgeException($"{path}: file is {file.Length} bytes, too short for a {kind} (truncated?).");
            var hashing = new HashingStream(file);
            T result;
            using (var r = new BinaryReader(hashing, Encoding.UTF8, leaveOpen: true))
            {
                uint found = r.ReadUInt32();
                if (found != magic)
                    throw new KnowledgeException($"{path}: header magic is 0x{found:X8}, expected 0x{magic:X8} ({kind}).");
                int version = r.ReadInt32();
                if (version != Version)
                    throw new KnowledgeException($"{path}: format version {version}, expected {Version}.");
                result = readBody(r);
            }
            ulong computed = hashing.Hash;
            Span<byte> trailer = stackalloc byte[8];
            file.ReadExactly(trailer);
            ulong stored = BitConverter.ToUInt64(trailer);
            if (stored != computed)
                throw new KnowledgeException($"{path}: checksum 0x{stored:X16} does not match the content (0x{computed:X16}); the file is corrupt.");
            if (file.Position != file.Length)
                throw new KnowledgeException($"{path}: {file.Length - file.Position} unexpected bytes after the checksum.");
            return result;
        }
        catch (EndOfStreamException e)
        {
            throw new KnowledgeException($"{path}: unexpected end of file while reading the {kind} (truncated).", e);
        }
        catch (InvalidDataException e)
        {
            throw new KnowledgeException($"{path}: {e.Message}", e);
        }
        catch (FormatException e)
        {
            throw new KnowledgeException($"{path}: malformed {kind}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new KnowledgeException($"{path}: cannot read the {kind}: {e.Message}", e);
        }
    }

    /// <summary>Throws InvalidDataException (turned into a KnowledgeException naming the file) when the check fails.</summary>
    public static void Check(bool condition, string field, object found, string expected)
    {
        if (!condition) throw new InvalidDataException($"field '{field}' is {found}, expected {expected}.");
    }

    public static void WriteMetadata(BinaryWriter w, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null) { w.Write(-1); return; }
        w.Write(metadata.Count);
        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.Write(key);
            w.Write(value);
        }
    }

    public static IReadOnlyDictionary<string, string>? ReadMetadata(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n == -1) return null;
        Check(n >= 0 && n <= MaxMetadataEntries, "metadata count", n, $"-1 or 0..{MaxMetadataEntries}");
        var d = new Dictionary<string, string>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            string key = r.ReadString();
            Check(d.TryAdd(key, r.ReadString()), "metadata key", $"'{key}' (duplicate)", "unique keys");
        }
        return d;
    }

    /// <summary>Floats are stored in the machine's byte order, which is little-endian on every platform .NET 10 runs on.</summary>
    public static void WriteFloats(BinaryWriter w, ReadOnlySpan<float> values) => w.Write(MemoryMarshal.AsBytes(values));

    public static void ReadFloats(BinaryReader r, Span<float> destination) => r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(destination));

    public static IReadOnlyDictionary<string, string>? Freeze(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is null ? null : new Dictionary<string, string>(metadata, StringComparer.Ordinal);

    public static VectorMetric ReadMetric(BinaryReader r)
    {
        int m = r.ReadInt32();
        Check(Enum.IsDefined((VectorMetric)m), "metric", m, "0 (cosine), 1 (dot) or 2 (L2)");
        return (VectorMetric)m;
    }

    /// <summary>A vector count, checked against the bytes left so a corrupt count cannot trigger a huge allocation.</summary>
    public static int ReadCount(BinaryReader r, int dimensions, string field)
    {
        int count = r.ReadInt32();
        long remaining = r.BaseStream.Length - r.BaseStream.Position;
        Check(count >= 0 && (long)count * dimensions * sizeof(float) <= remaining, field, count,
            "a non-negative number whose vectors fit in the file");
        return count;
    }

    public static int ReadDimensions(BinaryReader r)
    {
        int dims = r.ReadInt32();
        Check(dims > 0 && dims <= MaxDimensions, "dimensions", dims, $"1..{MaxDimensions}");
        return dims;
    }

    /// <summary>A pass-through stream that folds every byte read or written into an FNV-1a 64 hash.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private ulong _hash = 14695981039346656037UL;

        public ulong Hash => _hash;

        private void Fold(ReadOnlySpan<byte> bytes)
        {
            ulong h = _hash;
            foreach (byte b in bytes) h = (h ^ b) * 1099511628211UL;
            _hash = h;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Fold(buffer[..n]);
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Fold(buffer);
            inner.Write(buffer);
        }

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
