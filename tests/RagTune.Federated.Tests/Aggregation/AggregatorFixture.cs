// Shared pieces of the aggregator tests: a tiny PEFT adapter folder written by the repository's writer, site answers built
// from known tensors, the float64 reference average, and a logger that keeps what the aggregator logs.
using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;
using RagTune.Federated.Protocol;

namespace RagTune.Federated.Tests.Aggregation;

internal static class AggregatorFixture
{
    /// <summary>A two-module, r = 2 adapter (q_proj 6→6, v_proj 6→4) with seeded values, saved as a PEFT folder.</summary>
    public static string WriteAdapter(string directory, int seed)
    {
        var random = new Random(seed);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var options = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"] };
        var set = new AdapterSet(
        [
            KeyValuePair.Create("model.layers.0.self_attn.q_proj", new LoraAdapter(6, 6, 2, 4, false, 0, Values(12), Values(12))),
            KeyValuePair.Create("model.layers.0.self_attn.v_proj", new LoraAdapter(6, 4, 2, 4, false, 0, Values(12), Values(8))),
        ], "test");
        PeftAdapter.Save(directory, set, options, "tiny-base");
        return directory;
    }

    /// <summary>The adapter folder's tensors in wire order.</summary>
    public static float[][] ReadValues(string directory)
    {
        var set = PeftAdapter.Load(directory);
        var codec = new AdapterParameters(set);
        var byKey = PeftAdapter.Tensors(set).ToDictionary(t => t.Key, t => t.Values);
        return [.. codec.Keys.Select(k => byKey[k])];
    }

    public static AdapterParameters Codec(string adapterDirectory, NpyDtype dtype = NpyDtype.Float32) =>
        new(PeftAdapter.Load(adapterDirectory), dtype);

    /// <summary>Tensors in wire order as Flower Parameters, each with the given shape.</summary>
    public static Parameters Encode(IReadOnlyList<float[]> values, IReadOnlyList<IReadOnlyList<int>> shapes, NpyDtype dtype = NpyDtype.Float32)
    {
        var parameters = new Parameters { TensorType = AdapterParameters.TensorType };
        for (int i = 0; i < values.Count; i++)
            parameters.Tensors.Add(ByteString.CopyFrom(NpyFormat.Write(new NpyArray(dtype, shapes[i], values[i]))));
        return parameters;
    }

    /// <summary>The received global tensors plus a per-site, per-round offset: what a fake site "trained".</summary>
    public static float[][] Trained(IReadOnlyList<float[]> global, int site, long round) =>
        [.. global.Select((t, ti) => t.Select((v, j) => v + (float)((site + 1) * 0.01 * Math.Sin(j + 3 * ti + round))).ToArray())];

    public static ClientMessage FitRes(float[][] tensors, IReadOnlyList<IReadOnlyList<int>> shapes, long numExamples, double loss,
        NpyDtype dtype = NpyDtype.Float32) =>
        new()
        {
            FitRes = new ClientMessage.Types.FitRes
            {
                Status = new Status { Code = Code.Ok },
                Parameters = Encode(tensors, shapes, dtype),
                NumExamples = numExamples,
                Metrics = { ["loss"] = new Scalar { Double = loss } },
            },
        };

    public static ClientMessage EvaluateRes(float loss, long numExamples, double exactMatch) =>
        new()
        {
            EvaluateRes = new ClientMessage.Types.EvaluateRes
            {
                Status = new Status { Code = Code.Ok },
                Loss = loss,
                NumExamples = numExamples,
                Metrics = { ["exact_match"] = new Scalar { Double = exactMatch } },
            },
        };

    /// <summary>The float64 reference of FedAvg: Σ n·x / Σ n per element, rounded once to float32.</summary>
    public static float[][] WeightedAverage(IReadOnlyList<(float[][] Tensors, long N)> updates)
    {
        double total = updates.Sum(u => (double)u.N);
        return [.. Enumerable.Range(0, updates[0].Tensors.Length).Select(t =>
            Enumerable.Range(0, updates[0].Tensors[t].Length).Select(j =>
            {
                double sum = 0;
                foreach (var (tensors, n) in updates) sum += (double)tensors[t][j] * n;
                return (float)(sum / total);
            }).ToArray())];
    }

    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ragtune-fedagg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>Keeps every log line (level and formatted message) for assertions.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose() { }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
