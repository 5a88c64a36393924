// Writes a decoder as a Hugging Face checkpoint (config.json + model.safetensors + tokenizer files, as save_pretrained
// lays them out; tied lm_head omitted), and makes freshly initialised checkpoints for training from scratch.
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Training;

public static class HfCheckpointWriter
{
    private const long MaxShardBytes = 5_000_000_000;
    private static readonly Dictionary<string, string> Metadata = new() { ["format"] = "pt" };

    /// <summary>Saves every weight of <paramref name="model"/> under its checkpoint name, and copies config.json and the
    /// tokenizer/generation files from <paramref name="sourceDirectory"/>.</summary>
    public static void Save(string directory, DecoderModel model, string sourceDirectory)
    {
        var shapes = model.Config.ExpectedTensors().ToDictionary(s => s.Name, s => s.Shape);
        // Conv1D projections (GPT-2) are held [out, in] and stored [in, out], as the checkpoint had them.
        var conv1D = model.Config.Conv1DWeights
            ? model.LayerLinears.ToDictionary(l => l.Name + ".weight", StringComparer.Ordinal)
            : new Dictionary<string, Linear>(StringComparer.Ordinal);
        var entries = ParameterSet.ForAllWeights(model).Tensors
            .Where(t => shapes.ContainsKey(t.Name))
            .Select(t => SafeTensorEntry.FromFloat32(t.Name,
                conv1D.TryGetValue(t.Name, out var lin) ? RowMajor.Transpose(t.Values, lin.OutFeatures, lin.InFeatures) : t.Values, shapes[t.Name]));
        Directory.CreateDirectory(directory);
        SafeTensorWriter.WriteSharded(directory, entries, MaxShardBytes, Metadata);
        CopySideFiles(sourceDirectory, directory);
    }

    /// <summary>Saves every weight of a BERT-family encoder under its checkpoint name (with its bert./roberta. prefix) plus
    /// config, tokenizer and sentence-transformers module files. Source tensors the engine does not train (the pooler) are
    /// copied unchanged: transformers' BertModel has a pooler, and would initialise a missing one randomly.</summary>
    public static void SaveEncoder(string directory, BertEncoder model, string sourceDirectory)
    {
        var shapes = model.Config.ExpectedTensors().ToDictionary(s => s.Name, s => s.Shape);
        var entries = EncoderTrainingGraph.AllParameters(model).Tensors
            .Select(t => SafeTensorEntry.FromFloat32(model.Prefix + t.Name, t.Values, shapes[t.Name])).ToList();
        var written = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        using (var source = Checkpoint.Open(sourceDirectory))
            foreach (var info in source.Tensors.Where(t => !written.Contains(t.Name)))
                entries.Add(new SafeTensorEntry(info.Name, info.DType, info.Shape, source.GetBytes(info.Name).ToArray()));
        Directory.CreateDirectory(directory);
        SafeTensorWriter.Write(Path.Combine(directory, Checkpoint.SingleFileName), entries, Metadata);
        CopySideFiles(sourceDirectory, directory);
    }

    /// <summary>Saves a trained embedding model as the run's result: its LoRA <paramref name="adapters"/> as a PEFT adapter
    /// (task FEATURE_EXTRACTION) in <paramref name="adapterDirectory"/> when it was trained with LoRA, else a full encoder
    /// checkpoint in <paramref name="modelDirectory"/>. Returns the folder written.</summary>
    public static string SaveTrainedEmbedder(IEmbeddingModel model, AdapterSet? adapters, LoraOptions? lora, string sourceDirectory,
        string adapterDirectory, string modelDirectory)
    {
        if (lora is null || adapters is null)
        {
            SaveEncoder(modelDirectory, model as BertEncoder
                ?? throw new EngineException($"{sourceDirectory}: only encoders are saved whole; a decoder embedder trains LoRA adapters"), sourceDirectory);
            return modelDirectory;
        }
        PeftAdapter.Save(adapterDirectory, adapters, lora, Path.GetFullPath(sourceDirectory), "FEATURE_EXTRACTION");
        return adapterDirectory;
    }

    /// <summary>Copies config.json, tokenizer and generation files (everything but weights and adapters).</summary>
    public static void CopySideFiles(string from, string to)
    {
        if (Path.GetFullPath(from) == Path.GetFullPath(to)) return;
        foreach (var file in Directory.EnumerateFiles(from))
        {
            string name = Path.GetFileName(file);
            if (name.EndsWith(".safetensors", StringComparison.Ordinal) || name == Checkpoint.IndexFileName
                || name.StartsWith("adapter_", StringComparison.Ordinal) || name == "golden.json")
                continue;
            File.Copy(file, Path.Combine(to, name), overwrite: true);
        }
        // sentence-transformers modules (1_Pooling/, 2_Normalize/) travel with the checkpoint.
        foreach (var sub in Directory.EnumerateDirectories(from, "*_*"))
        {
            string target = Path.Combine(to, Path.GetFileName(sub));
            Directory.CreateDirectory(target);
            foreach (var file in Directory.EnumerateFiles(sub))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>Writes a checkpoint with transformers' initialisation for the config in <paramref name="configDirectory"/>:
    /// weights ~ N(0, initializer_range), norms 1, biases 0; tokenizer files copied. Returns the loaded model.</summary>
    public static DecoderModel InitializeRandom(string configDirectory, string directory, ulong seed, double initializerRange = 0.02)
    {
        var config = ModelConfig.Load(configDirectory) as DecoderConfig
            ?? throw new EngineException($"{configDirectory}: config.json is not a causal decoder");
        var rng = new TrainingRandom(seed);
        var entries = new List<SafeTensorEntry>();
        foreach (var spec in config.ExpectedTensors())
        {
            var values = new float[DTypes.ElementCount(spec.Shape)];
            if (spec.Name.EndsWith("norm.weight", StringComparison.Ordinal))
                Array.Fill(values, 1f);
            else if (!spec.Name.EndsWith(".bias", StringComparison.Ordinal))
                for (int i = 0; i < values.Length; i++)
                {
                    // Box–Muller from two uniforms in (0, 1].
                    double u1 = 1.0 - (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
                    double u2 = (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
                    values[i] = (float)(initializerRange * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                }
            entries.Add(SafeTensorEntry.FromFloat32(spec.Name, values, spec.Shape));
        }
        Directory.CreateDirectory(directory);
        SafeTensorWriter.WriteSharded(directory, entries, MaxShardBytes, Metadata);
        CopySideFiles(configDirectory, directory);
        return DecoderModel.Load(directory);
    }
}
