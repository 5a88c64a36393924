// A stage's stamp: the SHA-256 of its inputs (settings + upstream stamps + content hashes), written once its outputs are
// complete. A matching stamp means "skip"; a pending stamp for other inputs means the stage's partial outputs are stale.
using System.Security.Cryptography;
using System.Text;

namespace RagTune.Pipeline;

internal sealed class StageStamp(string workDirectory, string stage)
{
    private readonly string _done = Path.Combine(workDirectory, "stamps", stage + ".done");
    private readonly string _pending = Path.Combine(workDirectory, "stamps", stage + ".pending");

    public string? Done => File.Exists(_done) ? File.ReadAllText(_done).Trim() : null;

    public bool IsCurrent(string hash) => Done == hash;

    /// <summary>Marks the stage started for these inputs; true when earlier partial outputs were for other inputs.</summary>
    public bool Begin(string hash)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_pending)!);
        string? previous = File.Exists(_pending) ? File.ReadAllText(_pending).Trim() : Done;
        if (File.Exists(_done)) File.Delete(_done);
        File.WriteAllText(_pending, hash + "\n");
        return previous is not null && previous != hash;
    }

    public void Complete(string hash)
    {
        File.WriteAllText(_done, hash + "\n");
        File.Delete(_pending);
    }

    public static string Hash(params string[] parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts) sb.Append(p.Length).Append(':').Append(p).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Hash of every file under a folder: relative path + content (documents, the student checkpoint).</summary>
    public static string HashFolder(string folder)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, file).Replace('\\', '/') + "\n"));
            using var stream = File.OpenRead(file);
            sha.AppendData(SHA256.HashData(stream));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
