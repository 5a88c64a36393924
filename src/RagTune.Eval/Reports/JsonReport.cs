// The run as one JSON file (schema in docs/metrics.md): title, seed, systems, summaries, items and every result;
// it can be read back to re-render the other reports.
using System.Text.Json;
using RagTune.Eval.Running;

namespace RagTune.Eval.Reports;

public static class JsonReport
{
    public static string Render(EvalRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return JsonSerializer.Serialize(run, EvalJson.Indented);
    }

    public static async Task WriteAsync(EvalRun run, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await ReportFile.WriteAtomicAsync(path, Render(run), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<EvalRun> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new EvalException($"{path}: results file not found; expected a JSON report written by RagTune");
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<EvalRun>(text, EvalJson.Indented)
                ?? throw new EvalException($"{path}: found JSON null; expected a RagTune eval report object");
        }
        catch (JsonException ex)
        {
            throw new EvalException($"{path}: not a RagTune eval report ({ex.Message}); expected the JSON written by JsonReport", ex);
        }
    }
}
