// The assemblies built from src/: one per src/*/*.csproj, read from the test's output folder (project references copy
// them there). A src project that this test project does not reference is a failure, not a silent gap.
using System.Xml.Linq;

namespace RagTune.Architecture.Tests;

internal static class SrcAssemblies
{
    /// <summary>(assembly name, root namespace, dll path) of every src project.</summary>
    public static IReadOnlyList<(string Name, string RootNamespace, string Path)> All { get; } = Find();

    private static List<(string, string, string)> Find()
    {
        var root = RepositoryRoot();
        var result = new List<(string, string, string)>();
        foreach (var project in Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var xml = XDocument.Load(project);
            string projectName = Path.GetFileNameWithoutExtension(project);
            string assembly = xml.Descendants("AssemblyName").FirstOrDefault()?.Value ?? projectName;
            string rootNamespace = xml.Descendants("RootNamespace").FirstOrDefault()?.Value ?? projectName;
            string dll = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
            if (!File.Exists(dll))
                throw new InvalidOperationException($"{project}: {assembly}.dll is not next to the architecture tests; expected a ProjectReference to it in RagTune.Architecture.Tests.csproj");
            result.Add((assembly, rootNamespace, dll));
        }
        if (result.Count == 0) throw new InvalidOperationException($"no src/*/*.csproj under {root}");
        return result;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RagTune.slnx")))
                return dir.FullName;
        throw new InvalidOperationException($"RagTune.slnx not found above {AppContext.BaseDirectory}");
    }
}
