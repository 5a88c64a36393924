// LM-supervised retriever training (REPLUG LSR / RA-DIT): for each (query, gold answer, retrieved chunks) the frozen
// generator scores log p(answer | chunk, query) with the chat template; the target is softmax(logp/τ); the retriever's
// distribution is softmax(q·d/τ_r) with d from a frozen copy of the encoder (the passage index stays valid); the loss
// KL(target ‖ retriever) is back-propagated into the query encoder only. Input JSONL: {"query", "answer", "chunks": [..]}.
using System.Text.Json;
using RagTune.Engine.Chat;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Training;

public sealed record LsrTrainingOptions
{
    public required string GeneratorPath { get; init; }
    public required string RetrieverPath { get; init; }
    public required string DataPath { get; init; }
    public required string OutputDirectory { get; init; }
    public float TargetTemperature { get; init; } = 0.1f;
    public float RetrieverTemperature { get; init; } = 0.1f;
    public int Epochs { get; init; } = 1;
    public float LearningRate { get; init; } = 1e-5f;
    public float WeightDecay { get; init; } = 0.01f;
}

public sealed class LsrTrainer
{
    private readonly LsrTrainingOptions _options;
    private readonly List<(string Query, string Answer, string[] Chunks)> _data = [];

    public BertEncoder QueryEncoder { get; }
    public ParameterSet Parameters { get; }

    public LsrTrainer(LsrTrainingOptions options)
    {
        _options = options;
        if (!File.Exists(options.DataPath)) throw new EngineException($"{options.DataPath}: training data file not found");
        int line = 0;
        foreach (var raw in File.ReadLines(options.DataPath))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            using var doc = JsonDocument.Parse(raw);
            var e = doc.RootElement;
            if (!e.TryGetProperty("query", out var q) || !e.TryGetProperty("answer", out var a) || !e.TryGetProperty("chunks", out var c)
                || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() < 2)
                throw new EngineException($"{options.DataPath}:{line}: expected {{\"query\", \"answer\", \"chunks\": [at least 2 retrieved chunks]}}");
            _data.Add((q.GetString()!, a.GetString()!, c.EnumerateArray().Select(x => x.GetString()!).ToArray()));
        }
        QueryEncoder = BertEncoder.Load(options.RetrieverPath);
        Parameters = EncoderTrainingGraph.AllParameters(QueryEncoder);
    }

    public Task<TrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Run(progress, cancellationToken), cancellationToken);

    private TrainingResult Run(IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var o = _options;
        var generator = DecoderModel.Load(o.GeneratorPath);
        var genTok = Tokenizer.Load(o.GeneratorPath);
        var lm = new DecoderTrainingGraph(generator, new ParameterSet()) { Training = false };
        var builder = new SftExampleBuilder(genTok, ChatTemplate.Load(o.GeneratorPath, genTok), int.MaxValue, truncateDocuments: false);
        var retTok = Tokenizer.Load(o.RetrieverPath);
        var passageGraph = new EncoderTrainingGraph(BertEncoder.Load(o.RetrieverPath), new ParameterSet());
        var queryGraph = new EncoderTrainingGraph(QueryEncoder, Parameters);
        var optimizer = new AdamW(Parameters, weightDecay: o.WeightDecay);
        var losses = new List<double>();
        int total = o.Epochs * _data.Count;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 0; step < total; step++)
        {
            ct.ThrowIfCancellationRequested();
            var (query, answer, chunks) = _data[step % _data.Count];
            // log p(answer | chunk, query): minus the summed cross-entropy of the assistant turn, no gradient.
            var logp = chunks.Select(chunk =>
            {
                var e = builder.Encode([new ChatTurn("user", "<DOCUMENT>" + chunk + "</DOCUMENT>\n" + query), new ChatTurn("assistant", answer)]);
                return -lm.Batch([e], backward: false) * e.TargetCount;
            }).ToArray();
            var docs = chunks.Select(c => passageGraph.Forward(retTok.Encode(c, addSpecialTokens: true))).ToList();
            var q = queryGraph.Forward(retTok.Encode(query, addSpecialTokens: true));
            var dq = new float[q.Length];
            double loss = ContrastiveLosses.LsrKl(q, docs, logp, o.TargetTemperature, o.RetrieverTemperature, dq);
            Parameters.ZeroGrad();
            queryGraph.Backward(dq);
            optimizer.Update(o.LearningRate);
            losses.Add(loss);
            progress?.Report(new TrainingProgress(step + 1, total, loss, o.LearningRate, 0, clock.Elapsed,
                TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / (step + 1) * (total - step - 1)), null));
        }
        string output = Path.Combine(o.OutputDirectory, "query_encoder");
        HfCheckpointWriter.SaveEncoder(output, QueryEncoder, o.RetrieverPath);
        LossChart.Write(Path.Combine(o.OutputDirectory, "loss.svg"), losses, []);
        return new TrainingResult(total, losses, [], _data.Count, 0, 0, output);
    }
}
