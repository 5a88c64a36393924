// A resumable run's folder: settings.json (the settings + their SHA-256) and journal.jsonl; refuses to mix different settings.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.IO;

namespace RagTune.Raft.Runs;

/// <summary>
/// Opens or creates a run directory. A rerun whose settings hash differs from the stored one is refused with the list of
/// changed settings, unless <c>force</c>: then the old journal is kept aside as journal.&lt;oldhash&gt;.jsonl.bak and the
/// run starts over. Settings that do not change the output (budget, concurrency, timeouts) must not be put in the hash.
/// </summary>
public sealed class RunDirectory
{
    public const string SettingsFile = "settings.json";
    public const string JournalFile = "journal.jsonl";

    private RunDirectory(string path, string kind, string hash)
    {
        Path = path;
        Kind = kind;
        SettingsHash = hash;
    }

    public string Path { get; }

    public string Kind { get; }

    public string SettingsHash { get; }

    public string JournalPath => System.IO.Path.Combine(Path, JournalFile);

    public static RunDirectory Open(string path, string kind, JsonObject settings, bool force)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Directory.CreateDirectory(path);
        var canonical = settings.ToJsonString();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        var settingsPath = System.IO.Path.Combine(path, SettingsFile);
        var journalPath = System.IO.Path.Combine(path, JournalFile);
        if (File.Exists(settingsPath))
        {
            var (oldKind, oldHash, oldSettings) = Read(settingsPath);
            if (oldKind != kind)
                throw new RaftException($"run directory '{path}' holds a '{oldKind}' run, not a '{kind}' run: choose another --run directory");
            if (oldHash != hash)
            {
                if (!force)
                {
                    var changed = Changed(oldSettings, settings);
                    throw new RaftException($"run directory '{path}' was started with different settings (changed: {changed}); " +
                        "resuming would mix two datasets. Rerun with the original settings, choose another --run directory, or pass --force to set the old journal aside and start over");
                }
                if (File.Exists(journalPath))
                    File.Move(journalPath, System.IO.Path.Combine(path, $"journal.{oldHash[..12]}.jsonl.bak"), overwrite: true);
            }
        }
        else if (File.Exists(journalPath))
        {
            throw new RaftException($"run directory '{path}' has a journal but no {SettingsFile}: expected both (was it written by another tool?)");
        }
        var doc = new JsonObject
        {
            ["kind"] = kind,
            ["settings_sha256"] = hash,
            ["settings"] = JsonNode.Parse(canonical),
        };
        // Written whole and renamed into place: a crash mid-write must not leave a run whose settings cannot be read back.
        AtomicFile.WriteText(settingsPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new RunDirectory(path, kind, hash);
    }

    /// <summary>Opens an existing run for reading (export), checking its kind.</summary>
    public static RunDirectory OpenExisting(string path, string kind)
    {
        var settingsPath = System.IO.Path.Combine(path, SettingsFile);
        if (!File.Exists(settingsPath))
            throw new RaftException($"'{path}' is not a run directory: {SettingsFile} is missing (expected the --run folder of a generate/distill run)");
        var (oldKind, hash, _) = Read(settingsPath);
        if (oldKind != kind)
            throw new RaftException($"run directory '{path}' holds a '{oldKind}' run, expected a '{kind}' run");
        return new RunDirectory(path, kind, hash);
    }

    /// <summary>The stored settings object of this run.</summary>
    public JsonObject ReadSettings() => Read(System.IO.Path.Combine(Path, SettingsFile)).Settings;

    private static (string Kind, string Hash, JsonObject Settings) Read(string settingsPath)
    {
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(settingsPath)) as JsonObject
                ?? throw new RaftException($"{settingsPath}: expected a JSON object");
            return ((string?)node["kind"] ?? throw new RaftException($"{settingsPath}: field 'kind' is missing"),
                (string?)node["settings_sha256"] ?? throw new RaftException($"{settingsPath}: field 'settings_sha256' is missing"),
                node["settings"] as JsonObject ?? throw new RaftException($"{settingsPath}: field 'settings' is missing or not an object"));
        }
        catch (JsonException ex)
        {
            throw new RaftException($"{settingsPath} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string Changed(JsonObject old, JsonObject now)
    {
        var keys = old.Select(p => p.Key).Union(now.Select(p => p.Key)).Where(k =>
            !JsonNode.DeepEquals(old[k], now[k])).ToList();
        return keys.Count == 0 ? "(formatting only)" : string.Join(", ", keys.Select(k => $"{k}: {old[k]?.ToJsonString() ?? "none"} → {now[k]?.ToJsonString() ?? "none"}"));
    }
}
