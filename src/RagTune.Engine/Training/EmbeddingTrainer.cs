// Contrastive fine-tuning of an embedding model (a BERT-family encoder, or a decoder embedder with LoRA) on FlagEmbedding JSONL: InfoNCE with in-batch and hard negatives
// at temperature τ over the checkpoint's pooling. Each step embeds every text of the batch, takes the loss's gradient with
// respect to the embeddings, then re-runs each text's forward and backward with that gradient (GradCache): exact, and memory
// holds one text's activations at a time. Texts longer than the max length are cut as TextEmbedder cuts them (the count is
// in TruncatedTexts). Saves the checkpoint in its own layout, or a PEFT adapter for LoRA; checkpoints
// (weights or adapter + AdamW state + step + sampling RNG) resume bit-for-bit, only with the settings the run was started
// with; a cancelled run checkpoints its last completed step before it stops.
using System.Globalization;
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Training;

public sealed class EmbeddingTrainer
{
    private readonly EmbeddingTrainingOptions _options;
    private readonly TextEmbedder _texts;
    private readonly List<(string Query, string[] Pos, string[] Neg)> _data;
    private readonly string _dataSha256;

    public IEmbeddingModel Model { get; }
    public ParameterSet Parameters { get; }

    /// <summary>The LoRA adapters being trained (with options.Lora), else null.</summary>
    public AdapterSet? Adapters { get; }
    public IEmbeddingGraph Graph { get; }

    /// <summary>The most tokens a text keeps: EmbeddingTrainingOptions.MaxLength, else the model's positions (or the
    /// tokenizer's model_max_length when smaller).</summary>
    public int MaxLength => _texts.MaxLength;

    /// <summary>Distinct texts of the training data (queries with their prompt, passages) longer than <see cref="MaxLength"/>.</summary>
    public int TruncatedTexts { get; }

    public EmbeddingTrainer(EmbeddingTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.GroupSize < 1 || options.BatchSize < 1) throw new EngineException("embedding training: group size and batch size must be ≥ 1");
        _options = options;
        _data = ReadFlagEmbedding(options.DataPath);
        _dataSha256 = RunSettingsGuard.HashFile(options.DataPath);
        Model = EmbeddingModels.LoadTrainable(options.ModelPath, options.Lora, options.Seed, out var parameters, out var adapters);
        Adapters = adapters;
        Parameters = parameters;
        _texts = new TextEmbedder(Model, Tokenizer.Load(options.ModelPath), options.MaxLength ?? TextEmbedder.DefaultMaxLength(Model, options.ModelPath));
        Graph = EmbeddingModels.Graph(Model, Parameters, Adapters);
        TruncatedTexts = _data.SelectMany(d => d.Pos.Concat(d.Neg).Prepend(d.Query)).Distinct(StringComparer.Ordinal)
            .Count(t => { _texts.Tokenize(t, out bool cut); return cut; });
    }

    /// <summary>Reads {"query", "pos", "neg", "prompt"?} lines; the prompt (an instruction) is prefixed to the query.</summary>
    public static List<(string Query, string[] Pos, string[] Neg)> ReadFlagEmbedding(string path)
    {
        if (!File.Exists(path)) throw new EngineException($"{path}: training data file not found");
        var list = new List<(string, string[], string[])>();
        int line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                var e = doc.RootElement;
                string query = e.GetProperty("query").GetString() ?? throw new EngineException($"{path}:{line}: 'query' is null");
                if (e.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String) query = prompt.GetString() + query;
                var pos = e.GetProperty("pos").EnumerateArray().Select(x => x.GetString()!).ToArray();
                var neg = e.TryGetProperty("neg", out var n) ? n.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
                if (pos.Length == 0) throw new EngineException($"{path}:{line}: 'pos' is empty, expected at least one positive passage");
                list.Add((query, pos, neg));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new EngineException($"{path}:{line}: expected {{\"query\": str, \"pos\": [str], \"neg\": [str]}} ({ex.Message})", ex);
            }
        }
        if (list.Count == 0) throw new EngineException($"{path}: no training examples");
        return list;
    }

    /// <summary>The data order of an epoch, a pure function of (seed, epoch), so a resumed run needs no saved order.</summary>
    private List<int> EpochOrder(int epoch)
    {
        if (_epoch != epoch)
        {
            _order = Enumerable.Range(0, _data.Count).ToList();
            new TrainingRandom(_options.Seed + 0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)).Shuffle(_order);
            _epoch = epoch;
        }
        return _order;
    }

    private List<int> _order = [];
    private int _epoch = -1;

    public int StepsPerEpoch => (_data.Count + _options.BatchSize - 1) / _options.BatchSize;
    public int TotalSteps => _options.MaxSteps > 0 ? _options.MaxSteps : _options.Epochs * StepsPerEpoch;

    /// <summary>What the checkpoints of this run depend on (not the output folder, the checkpoint interval or --resume).</summary>
    public IReadOnlyDictionary<string, string> Settings()
    {
        var o = _options;
        var settings = RunSettingsGuard.CommonSettings(o.ModelPath, _dataSha256, o.Lora, o.BatchSize, TotalSteps,
            o.LearningRate, o.WarmupSteps, o.WeightDecay, MaxLength, o.Seed);
        settings["group_size"] = o.GroupSize.ToString(CultureInfo.InvariantCulture);
        settings["temperature"] = RunSettingsGuard.Format(o.Temperature);
        return settings;
    }

    public Task<TrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Run(progress, cancellationToken), cancellationToken);

    public float[] Embed(string text) => Graph.Forward(Encode(text));

    private int[] Encode(string text) => _texts.Tokenize(text);

    private TrainingResult Run(IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var o = _options;
        var optimizer = new AdamW(Parameters, weightDecay: o.WeightDecay);
        // The sampling stream (positives, negatives) is saved in the checkpoint's RNG slot; the data order needs no saving.
        var rng = new TrainingRandom(o.Seed);
        var state = new TrainingState(0, 0, rng.State, [], []);
        if (TrainingCheckpoint.StartOrResume(o.OutputDirectory, o.Resume, Settings(), Parameters, optimizer) is { } restored)
        {
            state = restored;
            rng.State = state.DropoutRngState;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int firstStep = state.Step;
        for (int step = state.Step; step < TotalSteps; step++)
        {
            TrainingCheckpoint.ThrowIfCancellationRequested(o.OutputDirectory, state, Parameters, optimizer, ct);
            int index = step % StepsPerEpoch;
            var order = EpochOrder(step / StepsPerEpoch);
            var batch = order.Skip(index * o.BatchSize).Take(o.BatchSize).Select(i => _data[i]).ToList();
            var queries = batch.Select(b => Encode(b.Query)).ToList();
            var passages = new List<int[]>();
            foreach (var (_, pos, neg) in batch)
            {
                passages.Add(Encode(pos[rng.Next(pos.Length)]));
                for (int g = 1; g < o.GroupSize; g++)
                    passages.Add(Encode(neg.Length > 0 ? neg[rng.Next(neg.Length)] : _data[rng.Next(_data.Count)].Pos[0]));
            }
            // GradCache: embeddings first, their gradient from the loss, then per-text forward + backward.
            var qEmb = queries.Select(q => Graph.Forward(q)).ToList();
            var pEmb = passages.Select(p => Graph.Forward(p)).ToList();
            var dq = qEmb.Select(e => new float[e.Length]).ToList();
            var dp = pEmb.Select(e => new float[e.Length]).ToList();
            double loss = ContrastiveLosses.InfoNce(qEmb, pEmb, o.Temperature, dq, dp);
            Parameters.ZeroGrad();
            for (int i = 0; i < queries.Count; i++) { Graph.Forward(queries[i]); Graph.Backward(dq[i]); }
            for (int j = 0; j < passages.Count; j++) { Graph.Forward(passages[j]); Graph.Backward(dp[j]); }
            float lr = LearningRateSchedule.At(o.LearningRate, step, o.WarmupSteps, TotalSteps, LearningRateDecay.Linear);
            optimizer.Update(lr);
            state.Losses.Add(loss);
            state = state with { Step = step + 1, AdamStep = optimizer.Step, DropoutRngState = rng.State };
            if ((o.CheckpointEvery > 0 && (step + 1) % o.CheckpointEvery == 0) || step + 1 == TotalSteps)
                TrainingCheckpoint.Save(o.OutputDirectory, state, Parameters, optimizer);
            double seconds = clock.Elapsed.TotalSeconds;
            progress?.Report(new TrainingProgress(step + 1, TotalSteps, loss, lr, 0, clock.Elapsed,
                TimeSpan.FromSeconds(seconds / (step + 1 - firstStep) * (TotalSteps - step - 1)), null));
        }
        var losses = state.Losses;
        string output = HfCheckpointWriter.SaveTrainedEmbedder(Model, Adapters, o.Lora, o.ModelPath,
            Path.Combine(o.OutputDirectory, "adapter"), Path.Combine(o.OutputDirectory, "model"));
        LossChart.Write(Path.Combine(o.OutputDirectory, "loss.svg"), losses, []);
        return new TrainingResult(TotalSteps, losses, [], _data.Count, 0, 0, output);
    }
}
