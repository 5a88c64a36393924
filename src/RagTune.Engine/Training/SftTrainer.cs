// Supervised fine-tuning of a Llama-family decoder on chat data: LoRA adapters (PEFT format out) or every weight (HF
// checkpoint out). Loss on assistant tokens only; AdamW with warm-up + decay, gradient accumulation (the step's loss and
// gradient are the mean over its micro-batches), global-norm clipping; eval loss on a held-out split; checkpoints that
// resume bit-for-bit, because the data order is a pure function of (seed, epoch) and every random stream is saved, and only
// with the settings the run was started with; a cancelled run checkpoints its last completed step before it stops.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RagTune.Engine.Chat;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Training;

public sealed class SftTrainer
{
    private readonly SftTrainingOptions _options;
    private readonly List<TokenizedExample> _train = [];
    private readonly List<TokenizedExample> _validation = [];
    private readonly SftExampleBuilder _builder;
    private readonly string _dataSha256;

    public DecoderModel Model { get; }
    public ParameterSet Parameters { get; }

    /// <summary>The LoRA adapters being trained (a LoRA run), else null.</summary>
    public AdapterSet? Adapters { get; }
    public DecoderTrainingGraph Graph { get; }
    public AdamW Optimizer { get; }
    public int BatchesPerEpoch => (_train.Count + _options.BatchSize - 1) / _options.BatchSize;
    public int TotalSteps { get; }

    public SftTrainer(SftTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1 || options.GradientAccumulationSteps < 1 || options.Epochs < 1 || options.MaxLength < 2)
            throw new EngineException("training options: batch size, gradient accumulation steps and epochs must be ≥ 1 and max length ≥ 2");
        if (options.ProximalMu < 0 || !float.IsFinite(options.ProximalMu))
            throw new EngineException($"training options: proximal mu (FedProx) is {options.ProximalMu}; expected a finite value ≥ 0");
        if (options.ProximalMu > 0 && options.Resume)
            throw new EngineException("training options: a FedProx run (proximal mu > 0) anchors at the weights it starts from and cannot resume");
        if (options.FullFineTune && options.BaseWeights is WeightFormat.BF16 or WeightFormat.Q8 or WeightFormat.Q4_K)
            throw new EngineException($"training options: full fine-tuning updates float32 weights; base weights {options.BaseWeights} are for LoRA only");
        _options = options;
        if (options.FullFineTune && Formats.GgufFile.IsGgufFile(options.ModelPath))
            throw new EngineException($"{options.ModelPath}: a full fine-tune is saved as a Hugging Face checkpoint, which needs the config and "
                + "tokenizer files of a checkpoint folder, and this is a GGUF file; train a LoRA adapter on it (the frozen GGUF weights are widened to float32 "
                + "as the GEMM reads them) or start from the Hugging Face checkpoint");
        Model = DecoderModel.Load(options.ModelPath, options.FullFineTune ? WeightFormat.F32 : options.BaseWeights);
        _options = options = options with { Lora = options.Lora.ForArchitecture(Model.Config) };
        var tokenizer = Tokenizer.Load(options.ModelPath);
        _builder = new SftExampleBuilder(tokenizer, ChatTemplate.Load(options.ModelPath, tokenizer), options.MaxLength, options.TruncateDocuments);
        var examples = ConversationReader.Read(options.DataPath).Select(_builder.Build).OfType<TokenizedExample>().ToList();
        _dataSha256 = RunSettingsGuard.HashFile(options.DataPath);
        examples.RemoveAll(e => e.TargetCount == 0);
        if (examples.Count == 0)
            throw new EngineException($"{options.DataPath}: no sample fits in {options.MaxLength} tokens with a non-empty answer ({_builder.Dropped} dropped)");
        var order = Enumerable.Range(0, examples.Count).ToList();
        new TrainingRandom(options.Seed).Shuffle(order);
        int nVal = (int)Math.Round(examples.Count * Math.Clamp(options.ValidationFraction, 0, 0.9));
        _validation.AddRange(order.Take(nVal).Select(i => examples[i]));
        var train = order.Skip(nVal).Order().Select(i => examples[i]);
        _train.AddRange(options.Pack ? TokenizedExample.Pack(train, options.MaxLength) : train);

        if (options.PromptTuning is not null && options.FullFineTune)
            throw new EngineException("training options: prompt tuning trains virtual-token embeddings over a frozen base; it excludes full fine-tuning");
        if (options.FullFineTune)
            Parameters = ParameterSet.ForAllWeights(Model);
        else if (options.PromptTuning is { } prompt)
        {
            if (prompt.NumVirtualTokens <= 0) throw new EngineException($"training options: --virtual-tokens must be positive, got {prompt.NumVirtualTokens}");
            Prompt = prompt.InitText is { } text
                ? PromptTuning.CreateFromText(prompt.NumVirtualTokens, tokenizer.Encode(text, addSpecialTokens: true), Model.EmbedTokens, text)
                : PromptTuning.CreateRandom(prompt.NumVirtualTokens, Model.Config.HiddenSize, new Random(unchecked((int)options.Seed)));
            Parameters = new ParameterSet();
            Parameters.Add(PromptTuning.TensorName, Prompt.Embeddings);
        }
        else
        {
            Adapters = PeftAdapter.CreateNew(Model.LayerLinears, options.Lora, new Random(unchecked((int)options.Seed)));
            Parameters = ParameterSet.ForAdapters(Adapters);
        }
        Graph = new DecoderTrainingGraph(Model, Parameters, Adapters)
        {
            DropoutRandom = new TrainingRandom(options.Seed ^ 0xD1B54A32D192ED03UL),
            RecomputeActivations = options.RecomputeActivations,
            Prompt = Prompt,
        };
        Optimizer = new AdamW(Parameters, options.Beta1, options.Beta2, options.AdamEpsilon, options.WeightDecay);
        TotalSteps = options.MaxSteps > 0
            ? options.MaxSteps
            : (options.Epochs * BatchesPerEpoch + options.GradientAccumulationSteps - 1) / options.GradientAccumulationSteps;
    }

    /// <summary>The virtual-token embeddings a prompt-tuning run trains, or null.</summary>
    public PromptTuning? Prompt { get; }

    public int TrainSamples => _train.Count;
    public int Dropped => _builder.Dropped;
    public int Truncated => _builder.Truncated;

    /// <summary>What the checkpoints of this run depend on (not the output folder, the checkpoint or eval interval, gradient
    /// checkpointing — which gives the same gradients — or --resume).</summary>
    public IReadOnlyDictionary<string, string> Settings()
    {
        var o = _options;
        var settings = RunSettingsGuard.CommonSettings(o.ModelPath, _dataSha256, o.FullFineTune || o.PromptTuning is not null ? null : o.Lora, o.BatchSize, TotalSteps,
            o.LearningRate, o.WarmupSteps, o.WeightDecay, o.MaxLength, o.Seed);
        settings["base_weights"] = o.FullFineTune ? nameof(WeightFormat.F32) : o.BaseWeights.ToString();
        settings["truncate_documents"] = o.TruncateDocuments.ToString();
        if (o.PromptTuning is { } pt)
            settings["prompt_tuning"] = $"num_virtual_tokens={pt.NumVirtualTokens} init_text={pt.InitText ?? "(random)"}";
        settings["gradient_accumulation_steps"] = o.GradientAccumulationSteps.ToString(CultureInfo.InvariantCulture);
        settings["decay"] = o.Decay.ToString();
        settings["adam"] = $"beta1={RunSettingsGuard.Format(o.Beta1)} beta2={RunSettingsGuard.Format(o.Beta2)} eps={RunSettingsGuard.Format(o.AdamEpsilon)}";
        settings["max_grad_norm"] = RunSettingsGuard.Format(o.MaxGradNorm);
        settings["group_by_length"] = o.GroupByLength.ToString();
        settings["validation_fraction"] = RunSettingsGuard.Format(o.ValidationFraction);
        settings["pack"] = o.Pack.ToString();
        if (o.ProximalMu > 0) settings["proximal_mu"] = RunSettingsGuard.Format(o.ProximalMu);
        return settings;
    }

    public Task<TrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Run(progress, cancellationToken), cancellationToken);

    private TrainingResult Run(IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var o = _options;
        var state = new TrainingState(0, 0, Graph.DropoutRandom.State, [], []);
        if (TrainingCheckpoint.StartOrResume(o.OutputDirectory, o.Resume, Settings(), Parameters, Optimizer) is { } restored)
        {
            state = restored;
            Graph.DropoutRandom.State = state.DropoutRngState;
        }
        string log = Path.Combine(o.OutputDirectory, "train_log.jsonl");
        TrainingCheckpoint.TrimLog(log, state.Step);
        var clock = Stopwatch.StartNew();
        int firstStep = state.Step;
        long tokens = 0;
        // FedProx's w₀: the values this run starts from (e.g. the global adapter a federated site loaded).
        var anchor = o.ProximalMu > 0 ? Parameters.SnapshotValues() : null;
        for (int step = state.Step; step < TotalSteps; step++)
        {
            Parameters.ZeroGrad();
            Graph.Training = true;
            double loss = 0;
            for (int a = 0; a < o.GradientAccumulationSteps; a++)
            {
                // A step of many micro-batches can take minutes: stop between them, the step not taken.
                TrainingCheckpoint.ThrowIfCancellationRequested(o.OutputDirectory, state, Parameters, Optimizer, ct);
                var batch = MicroBatch((long)step * o.GradientAccumulationSteps + a);
                loss += Graph.Batch(batch, backward: true, o.GradientAccumulationSteps) / o.GradientAccumulationSteps;
                tokens += batch.Sum(e => e.Ids.Length);
            }
            if (anchor is not null) Parameters.AddProximalGradient(anchor, o.ProximalMu);
            if (o.MaxGradNorm > 0) AdamW.ClipGradNorm(Parameters, o.MaxGradNorm);
            float lr = LearningRateSchedule.At(o.LearningRate, step, o.WarmupSteps, TotalSteps, o.Decay);
            Optimizer.Update(lr);
            state.Losses.Add(loss);
            double? evalLoss = null;
            bool last = step + 1 == TotalSteps;
            if (_validation.Count > 0 && ((o.EvalEvery > 0 && (step + 1) % o.EvalEvery == 0) || last))
            {
                evalLoss = EvaluationLoss();
                state.EvalLosses.Add([step + 1, evalLoss.Value]);
            }
            state = state with { Step = step + 1, AdamStep = Optimizer.Step, DropoutRngState = Graph.DropoutRandom.State };
            File.AppendAllText(log, JsonSerializer.Serialize(new { step = step + 1, loss, lr, eval_loss = evalLoss }) + "\n");
            if ((o.CheckpointEvery > 0 && (step + 1) % o.CheckpointEvery == 0) || last)
                TrainingCheckpoint.Save(o.OutputDirectory, state, Parameters, Optimizer);
            double seconds = clock.Elapsed.TotalSeconds;
            int done = step + 1 - firstStep;
            progress?.Report(new TrainingProgress(step + 1, TotalSteps, loss, lr, tokens / Math.Max(seconds, 1e-9), clock.Elapsed,
                TimeSpan.FromSeconds(seconds / done * (TotalSteps - step - 1)), evalLoss));
        }
        string output = SaveOutputs();
        var evals = state.EvalLosses.Select(e => ((int)e[0], e[1])).ToList();
        LossChart.Write(Path.Combine(o.OutputDirectory, "loss.svg"), state.Losses, evals);
        return new TrainingResult(state.Step, state.Losses, evals, _train.Count, Dropped, Truncated, output);
    }

    /// <summary>Token-mean loss over the validation split, without dropout.</summary>
    public double EvaluationLoss()
    {
        Graph.Training = false;
        double sum = 0;
        int n = 0;
        foreach (var e in _validation)
        {
            int k = e.TargetCount;
            sum += Graph.Batch([e], backward: false) * k;
            n += k;
        }
        Graph.Training = true;
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>Micro-batch m of the run: epoch m / batchesPerEpoch, reshuffled per epoch from the seed alone.</summary>
    private List<TokenizedExample> MicroBatch(long m)
    {
        int perEpoch = BatchesPerEpoch;
        int epoch = (int)(m / perEpoch), index = (int)(m % perEpoch);
        if (_epochOrder is null || _epoch != epoch)
        {
            var order = Enumerable.Range(0, _train.Count).ToList();
            new TrainingRandom(_options.Seed + 0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)).Shuffle(order);
            if (_options.GroupByLength)
            {
                // Sort within windows of 16 batches: batches hold similar lengths yet the order stays random.
                int window = 16 * _options.BatchSize;
                for (int s = 0; s < order.Count; s += window)
                {
                    int len = Math.Min(window, order.Count - s);
                    var sorted = order.GetRange(s, len).OrderByDescending(i => _train[i].Ids.Length).ToList();
                    for (int j = 0; j < len; j++) order[s + j] = sorted[j];
                }
            }
            _epochOrder = order;
            _epoch = epoch;
        }
        return _epochOrder.Skip(index * _options.BatchSize).Take(_options.BatchSize).Select(i => _train[i]).ToList();
    }

    private List<int>? _epochOrder;
    private int _epoch = -1;

    private string SaveOutputs()
    {
        if (_options.FullFineTune)
        {
            string dir = Path.Combine(_options.OutputDirectory, "model");
            HfCheckpointWriter.Save(dir, Model, _options.ModelPath);
            return dir;
        }
        string adapter = Path.Combine(_options.OutputDirectory, "adapter");
        if (Prompt is not null)
        {
            Prompt.Save(adapter, Path.GetFullPath(_options.ModelPath), Model.Config.NumAttentionHeads, Model.Config.NumHiddenLayers);
            return adapter;
        }
        PeftAdapter.Save(adapter, Adapters!, _options.Lora, Path.GetFullPath(_options.ModelPath));
        return adapter;
    }
}
