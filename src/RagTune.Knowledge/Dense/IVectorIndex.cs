// The contract shared by the exact and the HNSW vector index: string ids, optional string metadata, top-k search.
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Dense;

public interface IVectorIndex
{
    int Count { get; }
    int Dimensions { get; }
    VectorMetric Metric { get; }

    /// <summary>Adds a new vector; an id that is already present is an error (use <see cref="Upsert"/> to replace).</summary>
    void Add(string id, ReadOnlySpan<float> vector, IReadOnlyDictionary<string, string>? metadata = null);

    /// <summary>Adds the vector, or replaces the vector and metadata stored under <paramref name="id"/>.</summary>
    void Upsert(string id, ReadOnlySpan<float> vector, IReadOnlyDictionary<string, string>? metadata = null);

    /// <summary>Removes the id; returns false when it was not present.</summary>
    bool Remove(string id);

    bool Contains(string id);

    /// <summary>The metadata stored with <paramref name="id"/>, or null when there is none or the id is absent.</summary>
    IReadOnlyDictionary<string, string>? GetMetadata(string id);

    /// <summary>The k most similar vectors that pass <paramref name="filter"/>, best first.</summary>
    IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, MetadataFilter? filter = null);

    /// <summary>The k most similar among <paramref name="ids"/> only, scored exactly (absent ids are skipped), best first:
    /// the second stage of hierarchical search, where the candidates are the chunks of a few documents.</summary>
    IReadOnlyList<VectorHit> SearchAmong(ReadOnlySpan<float> query, int k, IEnumerable<string> ids, MetadataFilter? filter = null);

    /// <summary>Writes the index atomically (temporary file, then rename).</summary>
    void Save(string path);

    /// <summary>Loads a file written by either index, choosing the type from the file's header.</summary>
    static IVectorIndex Load(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var file = File.OpenRead(path);
            if (file.Read(magic) < 4) throw new KnowledgeException($"{path}: file is {file.Length} bytes, too short for a vector index.");
        }
        catch (FileNotFoundException e) { throw new KnowledgeException($"{path}: vector index file not found.", e); }
        catch (DirectoryNotFoundException e) { throw new KnowledgeException($"{path}: vector index file not found.", e); }
        return BitConverter.ToUInt32(magic) switch
        {
            VectorIndexFile.ExactMagic => ExactVectorIndex.Load(path),
            VectorIndexFile.HnswMagic => HnswIndex.Load(path),
            uint other => throw new KnowledgeException($"{path}: header magic is 0x{other:X8}, expected an exact (0x{VectorIndexFile.ExactMagic:X8}) or HNSW (0x{VectorIndexFile.HnswMagic:X8}) vector index."),
        };
    }
}
