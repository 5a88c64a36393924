// The default model id of a checkpoint folder: the Hub repository id for folders in RagTune's download cache
// (<cache>/<org>--<name>/<revision>, as `ragtune pull` lays them out), otherwise the folder's own name.
namespace RagTune.Engine.AI;

internal static class ModelIds
{
    public static string FromDirectory(string directory)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(full) && full.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            return Path.GetFileNameWithoutExtension(full);   // a GGUF file: its name
        string name = Path.GetFileName(full);
        string? parent = Path.GetFileName(Path.GetDirectoryName(full));
        if (parent is null) return name;
        int sep = parent.IndexOf("--", StringComparison.Ordinal);
        if (sep <= 0 || sep + 2 >= parent.Length) return name;
        string repo = parent[..sep] + "/" + parent[(sep + 2)..];
        return name == "main" ? repo : $"{repo}@{name.Replace("--", "/", StringComparison.Ordinal)}";
    }
}
