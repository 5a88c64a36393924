// The aggregator's journal and history (federation.json in the output folder): how many rounds are finished, where the
// global adapter of the last one is, and what every round did. Rewritten atomically after each finished round, after
// that round's adapter folder is complete, so a killed aggregator resumes after the last round this file names.
using System.Text.Json;
using System.Text.Json.Serialization;
using RagTune.Engine.IO;

namespace RagTune.Federated.Aggregation;

public sealed record FederationHistory
{
    /// <summary>The journal's file name in the output folder.</summary>
    public const string FileName = "federation.json";

    /// <summary>The format tag this version writes and reads.</summary>
    public const string CurrentFormat = "ragtune-federation/1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>Where round 0's adapter came from: the --init-adapter folder, or "site:NAME".</summary>
    public required string Initial { get; init; }

    /// <summary>The rounds finished so far (0 before the first).</summary>
    public int FinishedRounds { get; init; }

    /// <summary>The global adapter after <see cref="FinishedRounds"/>, relative to the output folder (rounds/round-0002).</summary>
    public required string GlobalAdapter { get; init; }

    /// <summary>The finished rounds in order, one record each.</summary>
    public IReadOnlyList<RoundRecord> Rounds { get; init; } = [];

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The journal in <paramref name="directory"/>, or null when there is none (a fresh federation).</summary>
    public static FederationHistory? Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        FederationHistory? history;
        try
        {
            history = JsonSerializer.Deserialize<FederationHistory>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException ex)
        {
            throw new FederatedException($"{path}: not a federation journal ({ex.Message}); expected the file `ragtune fed serve` writes", ex);
        }
        if (history is null || history.Format != CurrentFormat)
            throw new FederatedException($"{path}: format is \"{history?.Format}\"; expected \"{CurrentFormat}\"");
        if (history.FinishedRounds != history.Rounds.Count || history.Rounds.Select((r, i) => r.Round != i + 1).Any(b => b))
            throw new FederatedException($"{path}: finished_rounds is {history.FinishedRounds} but rounds lists {string.Join(", ", history.Rounds.Select(r => r.Round))}; expected rounds 1..finished_rounds once each");
        return history;
    }

    /// <summary>Writes the journal atomically (the reader sees the previous one or this one, never half).</summary>
    public void Write(string directory) =>
        AtomicFile.WriteText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json) + "\n");
}
