// A knowledge-base directory that points at a PostgreSQL store (store.json), so commands that take a directory
// (`ragtune kb add DIR …`) work the same for both stores.
using System.Text.Json;
using RagTune.Engine.IO;

namespace RagTune.Knowledge.Store.Postgres;

public static class PostgresStoreLink
{
    public const string FileName = "store.json";
    private const string Kind = "postgres";

    private sealed record Link(string Kind, string ConnectionString, string Schema);

    /// <summary>True when <paramref name="directory"/> holds a link to a PostgreSQL store.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, FileName));

    /// <summary>Writes the link into <paramref name="directory"/> (created if needed; must hold no knowledge base).</summary>
    public static void Write(string directory, PostgresStoreOptions location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        location.Validate();
        string full = Path.GetFullPath(directory);
        if (Exists(full) || FileSystemKnowledgeStore.Exists(full))
            throw new KnowledgeException($"cannot create a knowledge base in '{directory}': it already holds one; expected a new or empty folder");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new KnowledgeException($"cannot create a knowledge base in '{directory}': the folder is not empty; expected a new or empty folder");
        Directory.CreateDirectory(full);
        AtomicFile.Write(Path.Combine(full, FileName),
            s => JsonSerializer.Serialize(s, new Link(Kind, location.ConnectionString, location.Schema), StoreJson.Indented));
    }

    /// <summary>The store a link names.</summary>
    public static PostgresStoreOptions Read(string directory)
    {
        string path = Path.Combine(Path.GetFullPath(directory), FileName);
        var link = StoreJson.Read<Link>(path, "store link");
        if (link.Kind != Kind)
            throw new KnowledgeException($"{path}: store kind '{link.Kind}'; expected '{Kind}'");
        return new PostgresStoreOptions { ConnectionString = link.ConnectionString, Schema = link.Schema };
    }
}
