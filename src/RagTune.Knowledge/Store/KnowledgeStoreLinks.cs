// A knowledge-base directory that points at a store living elsewhere (store.json: the store's kind and where it is), so
// commands that take a directory (`ragtune kb add DIR …`) work for every store. Store packages register their kind.
using System.Collections.Concurrent;

namespace RagTune.Knowledge.Store;

/// <summary>Opens the store that the link in <paramref name="directory"/> names.</summary>
public delegate Task<IKnowledgeStore> KnowledgeStoreLinkOpener(string directory, CancellationToken cancellationToken);

/// <remarks>
/// Like ADO.NET's DbProviderFactories: the core knows only the kind written in store.json; a store package (e.g.
/// RagTune.Knowledge.Postgres, <c>PostgresStoreLink.Register()</c>) says how to open it, and the host registers the
/// packages it ships once at start-up.
/// </remarks>
public static class KnowledgeStoreLinks
{
    public const string FileName = "store.json";

    private static readonly ConcurrentDictionary<string, KnowledgeStoreLinkOpener> Openers = new(StringComparer.Ordinal);

    private sealed record Link(string Kind);

    /// <summary>Registers how to open links of <paramref name="kind"/>; registering a kind again replaces its opener.</summary>
    public static void Register(string kind, KnowledgeStoreLinkOpener opener)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(opener);
        Openers[kind] = opener;
    }

    /// <summary>True when <paramref name="directory"/> holds a link to a store.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, FileName));

    /// <summary>Opens the store the link in <paramref name="directory"/> names, with the opener registered for its kind.</summary>
    public static Task<IKnowledgeStore> OpenAsync(string directory, CancellationToken cancellationToken = default)
    {
        string path = Path.Combine(Path.GetFullPath(directory), FileName);
        var link = StoreJson.Read<Link>(path, "store link");
        if (string.IsNullOrEmpty(link.Kind))
            throw new KnowledgeException($"{path}: field 'kind' is missing; expected the store kind, e.g. \"postgres\"");
        if (!Openers.TryGetValue(link.Kind, out var open))
            throw new KnowledgeException($"{path}: store kind '{link.Kind}' is not available in this program; expected a registered kind ({Known()}) — for 'postgres' reference RagTune.Knowledge.Postgres and call PostgresStoreLink.Register() at start-up");
        return open(directory, cancellationToken);
    }

    private static string Known() => Openers.IsEmpty ? "none registered" : string.Join(", ", Openers.Keys.Order(StringComparer.Ordinal));
}
