// Writes safetensors files the way the reference implementation does (space-padded header, contiguous data), atomically.
using System.Buffers.Binary;
using System.Text.Json;

namespace RagTune.Engine.Tensors;

public static class SafeTensorWriter
{
    /// <summary>
    /// Writes one file. Tensors are ordered as the reference's serializer orders them: by dtype from the widest
    /// (U64, I64, F64, F32, …) to the narrowest, then by name (ordinal), so every tensor stays aligned to its element size.
    /// The file appears atomically: it is written to a temporary file in the same directory and moved into place.
    /// </summary>
    public static void Write(string path, IEnumerable<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = tensors.ToList();
        Validate(path, ordered);
        ordered.Sort((a, b) =>
        {
            int byDType = Rank(b.DType).CompareTo(Rank(a.DType));
            return byDType != 0 ? byDType : string.CompareOrdinal(a.Name, b.Name);
        });
        byte[] header = BuildHeader(ordered, metadata);

        string fullPath = System.IO.Path.GetFullPath(path);
        string directory = System.IO.Path.GetDirectoryName(fullPath)!;
        System.IO.Directory.CreateDirectory(directory);
        string temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var t in ordered)
                    stream.Write(t.Data.Span);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes a checkpoint as transformers' save_pretrained does: a single <c>model.safetensors</c> when everything fits
    /// in <paramref name="maxShardBytes"/>, else <c>model-0000k-of-0000n.safetensors</c> shards plus
    /// <c>model.safetensors.index.json</c>. Tensors fill shards in the given order; a tensor larger than the limit
    /// gets a shard of its own. Returns the file names written.
    /// </summary>
    public static IReadOnlyList<string> WriteSharded(string directory, IEnumerable<SafeTensorEntry> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        var all = tensors.ToList();
        Validate(directory, all);
        var shards = new List<List<SafeTensorEntry>> { new() };
        long current = 0;
        foreach (var t in all)
        {
            if (current > 0 && current + t.Data.Length > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(t);
            current += t.Data.Length;
        }
        System.IO.Directory.CreateDirectory(directory);
        if (shards.Count == 1)
        {
            Write(System.IO.Path.Combine(directory, Checkpoint.SingleFileName), all, metadata);
            return [Checkpoint.SingleFileName];
        }

        var names = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            Write(System.IO.Path.Combine(directory, name), shards[i], metadata);
            foreach (var t in shards[i])
                weightMap[t.Name] = name;
            names.Add(name);
        }
        WriteIndex(System.IO.Path.Combine(directory, Checkpoint.IndexFileName), all.Sum(t => (long)t.Data.Length), weightMap);
        names.Add(Checkpoint.IndexFileName);
        return names;
    }

    private static void WriteIndex(string path, long totalSize, SortedDictionary<string, string> weightMap)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (name, file) in weightMap)
                json.WriteString(name, file);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        string temp = path + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, buffer.ToArray());
        File.Move(temp, path, overwrite: true);
    }

    private static void Validate(string path, List<SafeTensorEntry> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (string.IsNullOrEmpty(t.Name) || t.Name == "__metadata__")
                throw new EngineException($"{path}: tensor name '{t.Name}' is not allowed");
            if (!names.Add(t.Name))
                throw new EngineException($"{path}: tensor '{t.Name}' is given more than once");
            if (t.Shape.Any(d => d < 0))
                throw new EngineException($"{path}: tensor '{t.Name}' has a negative dimension in shape [{string.Join(", ", t.Shape)}]");
            long expected = checked(t.ElementCount * DTypes.SizeOf(t.DType));
            if (t.Data.Length != expected)
                throw new EngineException($"{path}: tensor '{t.Name}' {DTypes.Name(t.DType)}[{string.Join(", ", t.Shape)}] needs {expected} bytes but has {t.Data.Length}");
        }
    }

    private static byte[] BuildHeader(List<SafeTensorEntry> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in ordered)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", DTypes.Name(t.DType));
                json.WriteStartArray("shape");
                foreach (var d in t.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        // The reference pads the header with spaces so that the data starts at a multiple of 8.
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>Position in the reference's Dtype enum (declaration order, which its writer sorts by, descending).</summary>
    private static int Rank(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.U8 => 1,
        DType.I8 => 2,
        DType.F8_E5M2 => 3,
        DType.F8_E4M3 => 4,
        DType.I16 => 5,
        DType.U16 => 6,
        DType.F16 => 7,
        DType.BF16 => 8,
        DType.I32 => 9,
        DType.U32 => 10,
        DType.F32 => 11,
        DType.F64 => 12,
        DType.I64 => 13,
        DType.U64 => 14,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
