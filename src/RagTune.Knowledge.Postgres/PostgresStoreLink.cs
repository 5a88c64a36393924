// A knowledge-base directory that points at a PostgreSQL store (store.json), so commands that take a directory
// (`ragtune kb add DIR …`) work the same for both stores.
using System.Text.Json;
using RagTune.Engine.IO;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

public static class PostgresStoreLink
{
    public const string Kind = "postgres";

    private sealed record Link(string Kind, string ConnectionString, string Schema);

    /// <summary>Lets <see cref="KnowledgeBase.OpenAsync(string, KnowledgeBaseOpenOptions?, CancellationToken)"/> open
    /// directories that link to a PostgreSQL store; call once at start-up (the ragtune CLI does).</summary>
    public static void Register() =>
        KnowledgeStoreLinks.Register(Kind, async (directory, cancellationToken) =>
            await PostgresKnowledgeStore.OpenAsync(Read(directory), cancellationToken).ConfigureAwait(false));

    /// <summary>Writes the link into <paramref name="directory"/> (created if needed; must hold no knowledge base).</summary>
    public static void Write(string directory, PostgresStoreOptions location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        location.Validate();
        string full = Path.GetFullPath(directory);
        if (KnowledgeStoreLinks.Exists(full) || FileSystemKnowledgeStore.Exists(full))
            throw new KnowledgeException($"cannot create a knowledge base in '{directory}': it already holds one; expected a new or empty folder");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new KnowledgeException($"cannot create a knowledge base in '{directory}': the folder is not empty; expected a new or empty folder");
        Directory.CreateDirectory(full);
        AtomicFile.Write(Path.Combine(full, KnowledgeStoreLinks.FileName),
            s => JsonSerializer.Serialize(s, new Link(Kind, location.ConnectionString, location.Schema), StoreJson.Indented));
    }

    /// <summary>The store a link names.</summary>
    public static PostgresStoreOptions Read(string directory)
    {
        string path = Path.Combine(Path.GetFullPath(directory), KnowledgeStoreLinks.FileName);
        var link = StoreJson.Read<Link>(path, "store link");
        if (link.Kind != Kind)
            throw new KnowledgeException($"{path}: store kind '{link.Kind}'; expected '{Kind}'");
        return new PostgresStoreOptions { ConnectionString = link.ConnectionString, Schema = link.Schema };
    }
}
