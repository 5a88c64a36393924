// Resumable training state: trainable tensors, AdamW moments and step, the dropout RNG state, the step (which fixes the
// data position, since the data order is a pure function of seed and epoch) and the loss history. Each checkpoint is a
// complete folder written first; the `latest` pointer file is then replaced atomically, so a kill -9 at any moment leaves
// either the old or the new checkpoint intact.
using System.Text.Json;
using RagTune.Engine.Tensors;
using RagTune.Engine.IO;

namespace RagTune.Engine.Training;

public sealed record TrainingState(int Step, long AdamStep, ulong DropoutRngState, List<double> Losses, List<double[]> EvalLosses);

public static class TrainingCheckpoint
{
    private const string Pointer = "latest";

    public static string Save(string runDirectory, TrainingState state, ParameterSet parameters, AdamW optimizer)
    {
        string root = Path.Combine(runDirectory, "checkpoints");
        string name = $"step-{state.Step:D6}";
        string dir = Path.Combine(root, name);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        SafeTensorWriter.Write(Path.Combine(dir, "params.safetensors"),
            parameters.Tensors.Select(t => SafeTensorEntry.FromFloat32(t.Name, t.Values, t.Values.Length)), meta);
        SafeTensorWriter.Write(Path.Combine(dir, "optimizer.safetensors"),
            parameters.Tensors.SelectMany((t, i) => new[]
            {
                SafeTensorEntry.FromFloat32("exp_avg." + t.Name, optimizer.Moments[i].M, t.Values.Length),
                SafeTensorEntry.FromFloat32("exp_avg_sq." + t.Name, optimizer.Moments[i].V, t.Values.Length),
            }), meta);
        AtomicFile.WriteText(Path.Combine(dir, "state.json"), JsonSerializer.Serialize(state));
        AtomicFile.WriteText(Path.Combine(root, Pointer), name);
        foreach (var old in Directory.EnumerateDirectories(root, "step-*"))
            if (Path.GetFileName(old) != name) Directory.Delete(old, recursive: true);
        return dir;
    }

    /// <summary>Restores the newest checkpoint into the parameters and optimizer; null when the run has none.</summary>
    public static TrainingState? Load(string runDirectory, ParameterSet parameters, AdamW optimizer)
    {
        string root = Path.Combine(runDirectory, "checkpoints");
        string pointer = Path.Combine(root, Pointer);
        if (!File.Exists(pointer)) return null;
        string dir = Path.Combine(root, File.ReadAllText(pointer).Trim());
        var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(Path.Combine(dir, "state.json")))
            ?? throw new EngineException($"{dir}/state.json: empty training state");
        using (var p = SafeTensorFile.Open(Path.Combine(dir, "params.safetensors")))
            foreach (var t in parameters.Tensors)
                ReadInto(p, t.Name, t.Values);
        using (var o = SafeTensorFile.Open(Path.Combine(dir, "optimizer.safetensors")))
            for (int i = 0; i < parameters.Tensors.Count; i++)
            {
                ReadInto(o, "exp_avg." + parameters.Tensors[i].Name, optimizer.Moments[i].M);
                ReadInto(o, "exp_avg_sq." + parameters.Tensors[i].Name, optimizer.Moments[i].V);
            }
        optimizer.Step = state.AdamStep;
        return state;
    }

    private static void ReadInto(SafeTensorFile file, string name, float[] destination)
    {
        if (!file.TryGetInfo(name, out var info))
            throw new EngineException($"{file.Path}: tensor '{name}' is missing; the checkpoint belongs to a different run configuration");
        if (info.ElementCount != destination.Length)
            throw new EngineException($"{file.Path}: tensor '{name}' has {info.ElementCount} values, expected {destination.Length}");
        file.ReadFloat32(name, destination);
    }
}
