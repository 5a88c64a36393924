// A Hugging Face checkpoint directory: model.safetensors, or shards listed in model.safetensors.index.json.
using System.Text.Json;

namespace RagTune.Engine.Tensors;

public sealed unsafe class Checkpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafeTensorFile> _files;
    private readonly Dictionary<string, (TensorInfo Info, SafeTensorFile File)> _byName;

    public string Directory { get; }

    /// <summary>Every tensor of the checkpoint, shard by shard in data-offset order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The files opened (one, or one per shard).</summary>
    public IReadOnlyList<SafeTensorFile> Files => _files;

    private Checkpoint(string directory, List<SafeTensorFile> files, Dictionary<string, (TensorInfo, SafeTensorFile)> byName)
    {
        Directory = directory;
        _files = files;
        _byName = byName;
        Tensors = files.SelectMany(f => f.Tensors).Where(t => byName.ContainsKey(t.Name)).ToList();
    }

    public static Checkpoint Open(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new EngineException($"checkpoint directory {directory} does not exist");
        string single = System.IO.Path.Combine(directory, SingleFileName);
        if (File.Exists(single))
        {
            var file = SafeTensorFile.Open(single);
            var map = file.Tensors.ToDictionary(t => t.Name, t => (t, file), StringComparer.Ordinal);
            return new Checkpoint(directory, [file], map);
        }
        string index = System.IO.Path.Combine(directory, IndexFileName);
        if (File.Exists(index))
            return OpenSharded(directory, index);
        // Pickled PyTorch weights are a common reason, and worth naming.
        string? pickled = System.IO.Directory.EnumerateFiles(directory, "*.bin").Select(System.IO.Path.GetFileName).FirstOrDefault();
        throw new EngineException($"no {SingleFileName} or {IndexFileName} in {directory}"
            + (pickled is null ? "" : $" (found {pickled}: RagTune reads safetensors only; convert the checkpoint)"));
    }

    private static Checkpoint OpenSharded(string directory, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var files = new List<SafeTensorFile>();
        var opened = new Dictionary<string, SafeTensorFile>(StringComparer.Ordinal);
        var byName = new Dictionary<string, (TensorInfo, SafeTensorFile)>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                if (!opened.TryGetValue(shard, out var file))
                {
                    string shardPath = System.IO.Path.Combine(directory, shard);
                    if (!File.Exists(shardPath))
                        throw new EngineException($"{indexPath}: shard {shard} (holding tensor '{tensor}') is missing from {directory}");
                    file = SafeTensorFile.Open(shardPath);
                    opened.Add(shard, file);
                    files.Add(file);
                }
                if (!file.TryGetInfo(tensor, out var info))
                    throw new EngineException($"{indexPath}: maps tensor '{tensor}' to {shard} but that file has no such tensor");
                byName.Add(tensor, (info, file));
            }
            return new Checkpoint(directory, files, byName);
        }
        catch
        {
            foreach (var f in files)
                f.Dispose();
            throw;
        }
    }

    private static List<(string Tensor, string Shard)> ReadWeightMap(string indexPath)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException ex)
        {
            throw new EngineException($"{indexPath}: not well-formed JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var weightMap)
                || weightMap.ValueKind != JsonValueKind.Object)
                throw new EngineException($"{indexPath}: expected an object with a \"weight_map\" object of tensor name → shard file");
            var result = new List<(string, string)>();
            foreach (var entry in weightMap.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new EngineException($"{indexPath}: weight_map entry '{entry.Name}' must be a file name string but is {entry.Value.ValueKind}");
                string shard = entry.Value.GetString()!;
                // A shard must be a plain file name inside the checkpoint directory.
                if (shard.Length == 0 || shard != System.IO.Path.GetFileName(shard) || shard is "." or "..")
                    throw new EngineException($"{indexPath}: weight_map entry '{entry.Name}' names '{shard}', which is not a file name in the checkpoint directory");
                result.Add((entry.Name, shard));
            }
            return result;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGetInfo(string name, out TensorInfo info)
    {
        bool found = _byName.TryGetValue(name, out var entry);
        info = entry.Info;
        return found;
    }

    public TensorInfo Info(string name) => Lookup(name).Info;

    public byte* GetPointer(string name)
    {
        var (info, file) = Lookup(name);
        return file.GetPointer(info);
    }

    /// <summary>The opened file that holds tensor <paramref name="name"/> (its shard).</summary>
    public SafeTensorFile FileOf(string name) => Lookup(name).File;

    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var (info, file) = Lookup(name);
        return file.GetBytes(info);
    }

    public float[] ReadFloat32(string name)
    {
        var (info, file) = Lookup(name);
        return file.ReadFloat32(info);
    }

    public void ReadFloat32(string name, Span<float> destination)
    {
        var (info, file) = Lookup(name);
        file.ReadFloat32(info, destination);
    }

    /// <summary>The first floating-point tensor that holds a NaN or an infinity, or null when none does: what to name when a
    /// model computes NaN. Reads every tensor, so it is for that error path only.</summary>
    public TensorInfo? FirstNonFinite()
    {
        foreach (var t in Tensors)
            if (t.DType is DType.F32 or DType.F16 or DType.BF16 && !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(ReadFloat32(t.Name)))
                return t;
        return null;
    }

    private (TensorInfo Info, SafeTensorFile File) Lookup(string name) => _byName.TryGetValue(name, out var entry)
        ? entry
        : throw new EngineException($"tensor '{name}' not found in checkpoint {Directory}");

    public void Dispose()
    {
        foreach (var f in _files)
            f.Dispose();
    }
}
