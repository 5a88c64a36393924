// Resumable training state: trainable tensors, AdamW moments and step, the dropout RNG state, the step (which fixes the
// data position, since the data order is a pure function of seed and epoch) and the loss history. Each checkpoint is a
// complete folder written first; the `latest` pointer file is then replaced atomically, so a kill -9 at any moment leaves
// either the old or the new checkpoint intact. A cancelled run checkpoints its last completed step before it stops.
using System.Globalization;
using System.Text.Json;
using RagTune.Engine.Tensors;
using RagTune.Engine.IO;

namespace RagTune.Engine.Training;

public sealed record TrainingState(int Step, long AdamStep, ulong DropoutRngState, List<double> Losses, List<double[]> EvalLosses);

public static class TrainingCheckpoint
{
    private const string Pointer = "latest";
    private const string Prefix = "step-";

    /// <summary>Starts a run or resumes it. With <paramref name="resume"/> and a checkpoint in the run folder, the recorded
    /// settings must equal <paramref name="settings"/> (<see cref="RunSettingsGuard"/>, else one error naming what differs)
    /// and the checkpoint is restored into the parameters and optimizer. Otherwise an older run's checkpoints are removed
    /// (they must not be resumable under these settings) and the settings are recorded. Returns the restored state, or
    /// null for a fresh start.</summary>
    public static TrainingState? StartOrResume(string runDirectory, bool resume, IReadOnlyDictionary<string, string> settings,
        ParameterSet parameters, AdamW optimizer)
    {
        Directory.CreateDirectory(runDirectory);
        string root = Path.Combine(runDirectory, "checkpoints");
        if (resume && File.Exists(Path.Combine(root, Pointer)))
        {
            RunSettingsGuard.Verify(runDirectory, settings);
            return Load(runDirectory, parameters, optimizer);
        }
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        RunSettingsGuard.Write(runDirectory, settings);
        return null;
    }

    /// <summary>The safe point of a training loop: between optimizer steps, or between the micro-batches of one (whose
    /// partial gradients are simply dropped: parameters and optimizer moments change only in the update). When
    /// cancellation is requested, checkpoints <paramref name="completed"/> — the last completed step — unless the run
    /// folder already holds it, then throws, so a resume loses no finished step.</summary>
    public static void ThrowIfCancellationRequested(string runDirectory, TrainingState completed, ParameterSet parameters, AdamW optimizer,
        CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested) return;
        if (completed.Step > 0 && LatestStep(runDirectory) != completed.Step)
            Save(runDirectory, completed, parameters, optimizer);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>The step of the run folder's newest checkpoint; 0 when it has none.</summary>
    public static int LatestStep(string runDirectory)
    {
        string pointer = Path.Combine(runDirectory, "checkpoints", Pointer);
        return File.Exists(pointer) ? ReadPointer(pointer).Step : 0;
    }

    /// <summary>The checkpoint the pointer file names: only a step-NNNNNN folder of the run's own checkpoints folder, so a
    /// damaged or hostile pointer (../../..) is an error, never a path followed out of the run.</summary>
    private static (int Step, string Name) ReadPointer(string pointer)
    {
        string name = File.ReadAllText(pointer).Trim();
        if (!name.StartsWith(Prefix, StringComparison.Ordinal) || !int.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int step))
            throw new EngineException($"{pointer}: '{name}' is not a checkpoint name; expected {Prefix}NNNNNN, a folder of {Path.GetDirectoryName(pointer)}");
        return (step, name);
    }

    /// <summary>Keeps the first <paramref name="steps"/> lines of a JSONL training log (the steps the restored checkpoint
    /// holds): a killed run may have logged steps past its last checkpoint, and a fresh run starts an empty log.</summary>
    public static void TrimLog(string log, int steps)
    {
        if (!File.Exists(log)) return;
        var kept = File.ReadLines(log).Where(l => l.EndsWith('}')).Take(steps).Select(l => l + "\n");
        AtomicFile.WriteText(log, string.Concat(kept));
    }

    public static string Save(string runDirectory, TrainingState state, ParameterSet parameters, AdamW optimizer)
    {
        string root = Path.Combine(runDirectory, "checkpoints");
        string name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{state.Step:D6}");
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
        foreach (var old in Directory.EnumerateDirectories(root, Prefix + "*"))
            if (Path.GetFileName(old) != name) Directory.Delete(old, recursive: true);
        return dir;
    }

    /// <summary>Restores the newest checkpoint into the parameters and optimizer; null when the run has none.</summary>
    public static TrainingState? Load(string runDirectory, ParameterSet parameters, AdamW optimizer)
    {
        string root = Path.Combine(runDirectory, "checkpoints");
        string pointer = Path.Combine(root, Pointer);
        if (!File.Exists(pointer)) return null;
        string dir = Path.Combine(root, ReadPointer(pointer).Name);
        if (!Directory.Exists(dir)) throw new EngineException($"{pointer}: names {dir}, which does not exist: start the run again without resuming");
        string statePath = Path.Combine(dir, "state.json");
        TrainingState? state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(statePath));
        }
        catch (Exception e) when (e is JsonException or FileNotFoundException)
        {
            string reason = e is JsonException j ? JsonErrors.Reason(j) : "the file is missing";
            throw new EngineException($"{statePath}: not a valid training state ({reason}); the checkpoint is damaged: start the run again without resuming", e);
        }
        if (state is null || state.Losses is null || state.EvalLosses is null)
            throw new EngineException($"{statePath}: not a valid training state (fields are missing); the checkpoint is damaged: start the run again without resuming");
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
