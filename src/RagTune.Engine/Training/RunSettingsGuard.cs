// The settings a run's checkpoints depend on, recorded in the run folder (run_settings.json: the values and their SHA-256)
// so that a resume with different settings — or different data — is refused with the fields that differ, instead of
// silently continuing a different run from the old optimizer state.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RagTune.Engine.IO;

namespace RagTune.Engine.Training;

public static class RunSettingsGuard
{
    public const string FileName = "run_settings.json";

    private sealed record Recorded(string Sha256, SortedDictionary<string, string> Settings);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>SHA-256 (hex) of a settings dictionary, independent of insertion order.</summary>
    public static string Hash(IReadOnlyDictionary<string, string> settings)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in settings.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append(key).Append('=').Append(value).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>SHA-256 (hex) of a file's bytes, so that edited training data counts as a different setting.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A checkpoint folder by full path, config and weight file sizes (hashing gigabytes of weights on each start
    /// is not worth it; a re-downloaded or re-quantised model changes a size).</summary>
    public static string ModelFingerprint(string directory)
    {
        var files = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory).Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith("config.json", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).Select(f => $"{Path.GetFileName(f)}:{new FileInfo(f).Length}")
            : File.Exists(directory) ? [$"{Path.GetFileName(directory)}:{new FileInfo(directory).Length}"] : [];   // a GGUF file
        return Path.GetFullPath(directory) + " [" + string.Join(' ', files) + "]";
    }

    /// <summary>The settings every trainer's checkpoints depend on, under the names a refused resume reports; each trainer
    /// adds its own.</summary>
    public static Dictionary<string, string> CommonSettings(string modelPath, string dataSha256, LoraOptions? lora, int batchSize, int totalSteps,
        float learningRate, int warmupSteps, float weightDecay, int maxLength, ulong seed) => new()
    {
        ["model"] = ModelFingerprint(modelPath),
        ["data_sha256"] = dataSha256,
        ["lora"] = Describe(lora),
        ["batch_size"] = batchSize.ToString(CultureInfo.InvariantCulture),
        ["total_steps"] = totalSteps.ToString(CultureInfo.InvariantCulture),
        ["learning_rate"] = Format(learningRate),
        ["warmup_steps"] = warmupSteps.ToString(CultureInfo.InvariantCulture),
        ["weight_decay"] = Format(weightDecay),
        ["max_length"] = maxLength.ToString(CultureInfo.InvariantCulture),
        ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>LoRA settings as one value (null: every weight is trained).</summary>
    public static string Describe(LoraOptions? lora) => lora is { } l
        ? $"r={l.Rank} alpha={Format(l.Alpha)} dropout={Format(l.Dropout)} rslora={l.UseRsLora} targets={string.Join(',', l.TargetModules)}"
        : "none (full fine-tune)";

    /// <summary>A float that round-trips, culture-independent, so equal settings always hash equal.</summary>
    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc cref="Format(float)"/>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static void Write(string runDirectory, IReadOnlyDictionary<string, string> settings)
    {
        Directory.CreateDirectory(runDirectory);
        var recorded = new Recorded(Hash(settings), new SortedDictionary<string, string>(settings.ToDictionary(), StringComparer.Ordinal));
        AtomicFile.WriteText(Path.Combine(runDirectory, FileName), JsonSerializer.Serialize(recorded, Json));
    }

    /// <summary>Throws unless the run folder records exactly these settings.</summary>
    public static void Verify(string runDirectory, IReadOnlyDictionary<string, string> settings)
    {
        string path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path))
            throw new EngineException($"{path}: not found; the checkpoint in {runDirectory} cannot be matched to its settings, so it cannot be resumed");
        Recorded recorded;
        try
        {
            recorded = JsonSerializer.Deserialize<Recorded>(File.ReadAllText(path), Json) ?? throw new JsonException("empty file");
        }
        catch (JsonException ex)
        {
            throw new EngineException($"{path}: unreadable run settings ({ex.Message}); expected {{\"sha256\", \"settings\"}}", ex);
        }
        if (recorded.Sha256 == Hash(settings)) return;
        var differences = settings.Keys.Union(recorded.Settings.Keys).Order(StringComparer.Ordinal)
            .Select(k => (Key: k, Was: recorded.Settings.GetValueOrDefault(k), Now: settings.GetValueOrDefault(k)))
            .Where(d => d.Was != d.Now)
            .Select(d => $"{d.Key}: was {d.Was ?? "(unset)"}, now {d.Now ?? "(unset)"}")
            .ToList();
        if (differences.Count == 0) differences.Add($"settings hash {recorded.Sha256} does not match its values (file edited by hand?)");
        throw new EngineException($"{path}: cannot resume with different settings — {string.Join("; ", differences)}. "
            + "Resume with the original settings, or start a new run in another output folder.");
    }
}
