// The aggregator's global adapter: the LoRA tensors (no model behind them: the aggregator never runs the network), the
// adapter_config.json they came with (kept verbatim, so every round's folder loads in PEFT exactly as the initial one did)
// and the wire codec that fixes their order, shapes and dtype for FitIns/EvaluateIns and for checking the sites' answers.
using RagTune.Engine.IO;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;
using RagTune.Federated.Protocol;

namespace RagTune.Federated.Aggregation;

internal sealed class GlobalAdapter
{
    private GlobalAdapter(AdapterSet adapters, LoraOptions options, string configJson, NpyDtype dtype)
    {
        Adapters = adapters;
        Options = options;
        ConfigJson = configJson;
        Codec = new AdapterParameters(adapters, dtype, exactDtype: true);
    }

    public AdapterSet Adapters { get; }

    public LoraOptions Options { get; }

    public string ConfigJson { get; }

    public AdapterParameters Codec { get; }

    /// <summary>Reads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) without a model.</summary>
    public static GlobalAdapter Load(string directory, NpyDtype dtype)
    {
        try
        {
            var options = PeftAdapter.ReadConfig(directory);
            var adapters = PeftAdapter.Load(directory);
            return new GlobalAdapter(adapters, options, File.ReadAllText(Path.Combine(directory, PeftAdapter.ConfigFileName)), dtype);
        }
        catch (RagTune.Engine.EngineException ex)
        {
            throw new FederatedException(ex.Message, ex);
        }
    }

    /// <summary>The same layout and config holding <paramref name="values"/> (in wire order, already checked).</summary>
    public GlobalAdapter With(IReadOnlyList<float[]> values)
    {
        float alpha = Options.Alpha;
        var copy = new AdapterSet(Adapters.Modules.Select(m => KeyValuePair.Create(m.Key, new LoraAdapter(m.Value.InFeatures, m.Value.OutFeatures,
            m.Value.Rank, alpha, Options.UseRsLora, Options.Dropout, new float[m.Value.A.Length], new float[m.Value.B.Length]))), Adapters.Name);
        Codec.CopyInto(values, copy);
        return new GlobalAdapter(copy, Options, ConfigJson, Codec.Dtype);
    }

    /// <summary>The tensors in wire order (the adapter's own arrays; do not modify).</summary>
    public IReadOnlyList<float[]> Values()
    {
        var byKey = PeftAdapter.Tensors(Adapters).ToDictionary(t => t.Key, t => t.Values, StringComparer.Ordinal);
        return [.. Codec.Keys.Select(k => byKey[k])];
    }

    public Parameters ToParameters() => Codec.Encode(Adapters);

    /// <summary>Writes the PEFT folder: the weights (float32 safetensors) and the config, each file atomically.</summary>
    public void Save(string directory)
    {
        PeftAdapter.SaveWeights(directory, Adapters);
        AtomicFile.WriteText(Path.Combine(directory, PeftAdapter.ConfigFileName), ConfigJson);
    }
}
