// LM-supervised retriever training (REPLUG LSR / RA-DIT): for each (query, gold answer, retrieved chunks) the frozen
// generator scores log p(answer | chunk, query) with the chat template; the target is softmax(logp/τ); the retriever's
// distribution is softmax(q·d/τ_r) with d from a frozen copy of the retriever (the passage index stays valid); the loss
// KL(target ‖ retriever) is back-propagated into the query side only (every weight of an encoder, or LoRA adapters on an
// encoder or a decoder embedder). Texts longer than the retriever's positions are cut as TextEmbedder cuts them.
// The generator's scores are computed once per example and journaled in the run folder; checkpoints (weights or adapter
// + AdamW state + step; the data order is a pure function of seed and epoch) resume bit-for-bit, and only with the
// settings the run was started with; a cancelled run checkpoints its last completed step before it stops.
using System.Globalization;
using System.Text.Json;
using RagTune.Engine.Chat;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Training;

public sealed class LsrTrainer
{
    public const string LogFileName = "train_log.jsonl";

    private readonly LsrTrainingOptions _options;
    private readonly List<(string Query, string Answer, string[] Chunks)> _data = [];
    private readonly string _dataSha256;

    public IEmbeddingModel QueryEncoder { get; }
    public ParameterSet Parameters { get; }

    /// <summary>The LoRA adapters being trained (a LoRA run), else null.</summary>
    public AdapterSet? Adapters { get; }

    /// <summary>Examples the generator scored in the last run (the rest came from the score journal).</summary>
    public int GeneratorScorings { get; private set; }

    public int Examples => _data.Count;
    public int TotalSteps => _options.MaxSteps > 0 ? _options.MaxSteps : _options.Epochs * _data.Count;

    public LsrTrainer(LsrTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        if (options.TargetTemperature <= 0 || options.RetrieverTemperature <= 0)
            throw new EngineException($"LSR: temperatures must be > 0, got target {options.TargetTemperature}, retriever {options.RetrieverTemperature}");
        if (options.MaxSteps <= 0 && options.Epochs < 1) throw new EngineException($"LSR: epochs must be ≥ 1 (got {options.Epochs}) unless max steps is set");
        if (!File.Exists(options.DataPath)) throw new EngineException($"{options.DataPath}: training data file not found");
        int line = 0;
        foreach (var raw in File.ReadLines(options.DataPath))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                var e = doc.RootElement;
                if (!e.TryGetProperty("query", out var q) || !e.TryGetProperty("answer", out var a) || !e.TryGetProperty("chunks", out var c)
                    || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() < 2)
                    throw new EngineException($"{options.DataPath}:{line}: expected {{\"query\", \"answer\", \"chunks\": [at least 2 retrieved chunks]}}");
                _data.Add((q.GetString()!, a.GetString()!, c.EnumerateArray().Select(x => x.GetString()!).ToArray()));
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                throw new EngineException($"{options.DataPath}:{line}: expected {{\"query\": str, \"answer\": str, \"chunks\": [str]}} ({ex.Message})", ex);
            }
        }
        if (_data.Count == 0) throw new EngineException($"{options.DataPath}: no training examples");
        _dataSha256 = RunSettingsGuard.HashFile(options.DataPath);
        QueryEncoder = EmbeddingModels.LoadTrainable(options.RetrieverPath, options.Lora, options.Seed, out var parameters, out var adapters);
        Adapters = adapters;
        Parameters = parameters;
    }

    /// <summary>What the checkpoints of this run depend on (not the output folder, the checkpoint interval or --resume).</summary>
    public IReadOnlyDictionary<string, string> Settings()
    {
        var o = _options;
        string F(float v) => RunSettingsGuard.Format(v);
        return new Dictionary<string, string>
        {
            ["generator"] = RunSettingsGuard.ModelFingerprint(o.GeneratorPath),
            ["retriever"] = RunSettingsGuard.ModelFingerprint(o.RetrieverPath),
            ["data_sha256"] = _dataSha256,
            ["target_temperature"] = F(o.TargetTemperature),
            ["retriever_temperature"] = F(o.RetrieverTemperature),
            ["lora"] = RunSettingsGuard.Describe(o.Lora),
            ["total_steps"] = TotalSteps.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = F(o.LearningRate),
            ["warmup_steps"] = o.WarmupSteps.ToString(CultureInfo.InvariantCulture),
            ["decay"] = o.Decay.ToString(),
            ["weight_decay"] = F(o.WeightDecay),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            // The prompt shapes every generator score: its rendering of placeholder text stands for the template.
            ["user_turn"] = o.UserTurn("\u0001chunk\u0001", "\u0001query\u0001"),
            ["system_prompt"] = o.SystemPrompt ?? "",
        };
    }

    public Task<TrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Run(progress, cancellationToken), cancellationToken);

    /// <summary>The example order of an epoch, a pure function of (seed, epoch), so a resumed run needs no saved order.</summary>
    private List<int> EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _data.Count).ToList();
        new TrainingRandom(_options.Seed + 0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)).Shuffle(order);
        return order;
    }

    private TrainingResult Run(IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var o = _options;
        var settings = Settings();
        var optimizer = new AdamW(Parameters, weightDecay: o.WeightDecay);
        string log = Path.Combine(o.OutputDirectory, LogFileName);
        var state = TrainingCheckpoint.StartOrResume(o.OutputDirectory, o.Resume, settings, Parameters, optimizer)
            ?? new TrainingState(0, 0, o.Seed, [], []);
        TrainingCheckpoint.TrimLog(log, state.Step);

        using var journal = new LsrScoreJournal(o.OutputDirectory, settings["generator"], _dataSha256);
        var scorer = new Lazy<GeneratorScorer>(() => new GeneratorScorer(o.GeneratorPath, o.UserTurn, o.SystemPrompt));
        GeneratorScorings = 0;
        using var passageModel = IEmbeddingModel.Load(o.RetrieverPath);
        var texts = new TextEmbedder(passageModel, Tokenizer.Load(o.RetrieverPath), TextEmbedder.DefaultMaxLength(passageModel, o.RetrieverPath));
        var passageGraph = EmbeddingModels.Graph(passageModel, new ParameterSet());
        var queryGraph = EmbeddingModels.Graph(QueryEncoder, Parameters, Adapters);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int firstStep = state.Step, epoch = -1;
        List<int> order = [];
        for (int step = state.Step; step < TotalSteps; step++)
        {
            TrainingCheckpoint.ThrowIfCancellationRequested(o.OutputDirectory, state, Parameters, optimizer, ct);
            if (step / _data.Count != epoch) order = EpochOrder(epoch = step / _data.Count);
            int index = order[step % _data.Count];
            var (query, answer, chunks) = _data[index];
            if (!journal.TryGet(index, out var logp))
            {
                logp = scorer.Value.Score(query, answer, chunks);
                journal.Add(index, logp);
                GeneratorScorings++;
            }
            var docs = chunks.Select(c => passageGraph.Forward(texts.Tokenize(c))).ToList();
            var q = queryGraph.Forward(texts.Tokenize(query));
            var dq = new float[q.Length];
            double loss = ContrastiveLosses.LsrKl(q, docs, logp, o.TargetTemperature, o.RetrieverTemperature, dq);
            Parameters.ZeroGrad();
            queryGraph.Backward(dq);
            float lr = LearningRateSchedule.At(o.LearningRate, step, o.WarmupSteps, TotalSteps, o.Decay);
            optimizer.Update(lr);
            state.Losses.Add(loss);
            state = state with { Step = step + 1, AdamStep = optimizer.Step };
            File.AppendAllText(log, JsonSerializer.Serialize(new { step = step + 1, kl = loss, lr }) + "\n");
            if ((o.CheckpointEvery > 0 && (step + 1) % o.CheckpointEvery == 0) || step + 1 == TotalSteps)
            {
                TrainingCheckpoint.Save(o.OutputDirectory, state, Parameters, optimizer);
                LossChart.Write(Path.Combine(o.OutputDirectory, "loss.svg"), state.Losses, []);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            progress?.Report(new TrainingProgress(step + 1, TotalSteps, loss, lr, 0, clock.Elapsed,
                TimeSpan.FromSeconds(seconds / (step + 1 - firstStep) * (TotalSteps - step - 1)), null));
        }
        string output = HfCheckpointWriter.SaveTrainedEmbedder(QueryEncoder, Adapters, o.Lora, o.RetrieverPath,
            Path.Combine(o.OutputDirectory, "query_adapter"), Path.Combine(o.OutputDirectory, "query_encoder"));
        LossChart.Write(Path.Combine(o.OutputDirectory, "loss.svg"), state.Losses, []);
        return new TrainingResult(state.Step, state.Losses, [], _data.Count, 0, 0, output);
    }

    /// <summary>log p(answer | chunk, query) under the frozen generator: minus the summed cross-entropy of the assistant turn.</summary>
    private sealed class GeneratorScorer
    {
        private readonly DecoderTrainingGraph _lm;
        private readonly SftExampleBuilder _builder;
        private readonly Func<string, string, string> _userTurn;
        private readonly string? _system;

        public GeneratorScorer(string path, Func<string, string, string> userTurn, string? system)
        {
            _userTurn = userTurn;
            _system = system;
            var tokenizer = Tokenizer.Load(path);
            _lm = new DecoderTrainingGraph(DecoderModel.Load(path), new ParameterSet()) { Training = false };
            _builder = new SftExampleBuilder(tokenizer, ChatTemplate.Load(path, tokenizer), int.MaxValue, truncateDocuments: false);
        }

        public double[] Score(string query, string answer, string[] chunks) => chunks.Select(chunk =>
        {
            var turns = new List<ChatTurn>(3);
            if (_system is not null) turns.Add(new ChatTurn("system", _system));
            turns.Add(new ChatTurn("user", _userTurn(chunk, query)));
            turns.Add(new ChatTurn("assistant", answer));
            var e = _builder.Encode(turns);
            return -_lm.Batch([e], backward: false) * e.TargetCount;
        }).ToArray();
    }
}
