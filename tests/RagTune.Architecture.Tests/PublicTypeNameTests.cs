// One name, one public type: across all src assemblies no two public types share a simple name, so a name in the docs,
// an error message or a `using` never leaves the reader guessing which one is meant.
namespace RagTune.Architecture.Tests;

public sealed class PublicTypeNameTests
{
    /// <summary>Public types (nested ones public all the way out) of every src assembly, compared by simple name
    /// without generic arity; a failure lists each shared name with the full names that share it.</summary>
    [Fact]
    public void No_two_public_types_share_a_simple_name()
    {
        var byName = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, _, path) in SrcAssemblies.All)
        {
            using var assembly = new AssemblyTypes(path);
            foreach (var type in assembly.Types.Where(assembly.IsPublic))
            {
                var simple = assembly.SimpleName(type);
                if (!byName.TryGetValue(simple, out var list)) byName[simple] = list = [];
                list.Add($"{assembly.FullName(type)} ({name})");
            }
        }
        Assert.True(byName.Count > 100, $"only {byName.Count} public type names found: is the scan reading the assemblies?");
        var duplicates = byName.Where(p => p.Value.Count > 1).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}: {string.Join(", ", p.Value)}").ToList();
        Assert.True(duplicates.Count == 0, "public types sharing a name:\n" + string.Join("\n", duplicates));
    }
}
