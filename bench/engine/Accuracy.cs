// The accuracy cost of each weight format on a decoder fixture (tests/RagTune.Engine.Tests/TestData/models/*):
// max |Δlogit| over every prompt position and the change in mean next-token NLL, against PyTorch's fp32 logits.
using System.Text.Json;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;

namespace RagTune.Bench.Engine;

internal static class Accuracy
{
    public static void Report(string dir)
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "golden.json")));
        int[] ids = golden.RootElement.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expected = golden.RootElement.GetProperty("logits").EnumerateArray()
            .SelectMany(r => r.EnumerateArray().Select(e => e.GetSingle())).ToArray();
        foreach (var format in new[] { WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8 })
        {
            var model = DecoderModel.Load(dir, format);
            int v = model.Config.VocabSize;
            var logits = new float[ids.Length * v];
            model.CreateSession(ids.Length).ForwardAll(ids, logits);
            double maxDiff = 0;
            for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - logits[i]));
            double nll = MeanNll(expected, ids, v), got = MeanNll(logits, ids, v);
            Console.WriteLine($"{Path.GetFileName(dir.TrimEnd('/')),-20} {format,-5} max|Δlogit| {maxDiff,9:E2}  NLL fp32-torch {nll:F5}  here {got:F5}  Δ {got - nll:+0.00000;-0.00000;0.00000}");
        }
    }

    /// <summary>Mean over positions t of −log softmax(logits[t])[ids[t+1]].</summary>
    private static double MeanNll(float[] logits, int[] ids, int v)
    {
        double total = 0;
        for (int t = 0; t + 1 < ids.Length; t++)
            total += Softmax.NegativeLogLikelihood(logits.AsSpan(t * v, v), ids[t + 1]);
        return total / (ids.Length - 1);
    }
}
