// PEFT LoRA adapters on disk: adapter_config.json (sorted keys, indent 2) + adapter_model.safetensors with keys
// base_model.model.<module>.lora_A.weight [r, in] / .lora_B.weight [out, r] and metadata {"format": "pt"} — the layout
// PEFT's save_pretrained writes and PEFT, vLLM and llama.cpp's converter read. A folder loads as an AdapterSet (by module
// path) that sessions and training graphs apply; the model itself is never changed, except by an explicit merge.
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.IO;

namespace RagTune.Engine.Training;

public static class PeftAdapter
{
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";
    private const string KeyPrefix = "base_model.model.";

    /// <summary>Fresh adapters (A Kaiming-uniform, B zero) for every Linear whose last name part is a target, in the
    /// order of <paramref name="linears"/>.</summary>
    public static AdapterSet CreateNew(IEnumerable<Linear> linears, LoraOptions options, Random random)
    {
        var modules = new List<KeyValuePair<string, LoraAdapter>>();
        foreach (var lin in linears)
            if (options.TargetModules.Contains(LastPart(lin.Name)))
                modules.Add(KeyValuePair.Create(lin.Name, LoraAdapter.CreateInitialized(lin.InFeatures, lin.OutFeatures, options.Rank,
                    options.Alpha, options.UseRsLora, options.Dropout, random)));
        if (modules.Count == 0)
            throw new EngineException($"LoRA target_modules [{string.Join(", ", options.TargetModules)}] match no projection of the model");
        return new AdapterSet(modules, "fresh");
    }

    public static void Save(string directory, AdapterSet adapters, LoraOptions options, string baseModel, string taskType = "CAUSAL_LM")
    {
        SaveWeights(directory, adapters);
        AtomicFile.WriteText(Path.Combine(directory, ConfigFileName), ConfigJson(options, baseModel, taskType));
    }

    /// <summary>The adapter_config.json that <see cref="Save"/> writes (sorted keys, indent 2, trailing newline).</summary>
    public static string ConfigJson(LoraOptions options, string baseModel, string taskType = "CAUSAL_LM")
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["base_model_name_or_path"] = baseModel,
            ["bias"] = "none",
            ["fan_in_fan_out"] = options.FanInFanOut,
            ["inference_mode"] = true,
            ["lora_alpha"] = options.Alpha,
            ["lora_dropout"] = options.Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = options.Rank,
            ["target_modules"] = options.TargetModules.Order(StringComparer.Ordinal).ToArray(),
            ["task_type"] = taskType,
            ["use_dora"] = false,
            ["use_rslora"] = options.UseRsLora,
        };
        return JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The set's tensors under the keys adapter_model.safetensors gives them (base_model.model.&lt;module&gt;.lora_A.weight
    /// [r, in], .lora_B.weight [out, r]), A then B per module in the set's order; Values are the adapters' own arrays.</summary>
    public static IEnumerable<(string Key, int Rows, int Columns, float[] Values)> Tensors(AdapterSet adapters)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        foreach (var (module, ad) in adapters.Modules)
        {
            yield return (KeyPrefix + module + ".lora_A.weight", ad.Rank, ad.InFeatures, ad.A);
            yield return (KeyPrefix + module + ".lora_B.weight", ad.OutFeatures, ad.Rank, ad.B);
        }
    }

    /// <summary>Reads adapter_config.json.</summary>
    public static LoraOptions ReadConfig(string directory)
    {
        string path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path)) throw new EngineException($"{directory}: {ConfigFileName} is missing (expected a PEFT LoRA adapter folder)");
        using var doc = JsonFields.ParseFile(path);
        var f = new JsonFields(doc.RootElement, path);
        string type = f.Element("peft_type")?.GetString() ?? "";
        if (type != "LORA") throw f.Invalid("peft_type", $"\"{type}\"", "\"LORA\"");
        if (f.Element("use_dora") is { ValueKind: JsonValueKind.True }) throw f.Invalid("use_dora", true, "false (DoRA is not supported)");
        var targets = f.Element("target_modules") is { ValueKind: JsonValueKind.Array } arr
            ? arr.EnumerateArray().Select(e => e.GetString()!).ToArray()
            : f.Element("target_modules") is { ValueKind: JsonValueKind.String } one ? [one.GetString()!] : throw f.Invalid("target_modules", "nothing", "a list of module names");
        return new LoraOptions
        {
            Rank = f.Int("r"),
            Alpha = (float)f.Double("lora_alpha"),
            Dropout = (float)f.Double("lora_dropout", 0),
            UseRsLora = f.Bool("use_rslora", false),
            FanInFanOut = f.Bool("fan_in_fan_out", false),
            TargetModules = targets,
        };
    }

    /// <summary>adapter_config.json's base_model_name_or_path as a local folder (what `train embed --lora` records), for
    /// loading an adapter folder as a model; an error naming the field when it is absent or not a folder here.</summary>
    public static string ReadBaseModel(string directory)
    {
        string path = Path.Combine(directory, ConfigFileName);
        using var doc = JsonFields.ParseFile(path);
        var f = new JsonFields(doc.RootElement, path);
        string? baseModel = f.String("base_model_name_or_path");
        if (string.IsNullOrWhiteSpace(baseModel))
            throw f.Invalid("base_model_name_or_path", "missing", "the base model's folder");
        return Directory.Exists(baseModel)
            ? baseModel
            : throw f.Invalid("base_model_name_or_path", $"\"{baseModel}\"", "a local model folder (no such folder here; pass the base with --model and the adapter with --adapter)");
    }

    /// <summary>Loads a PEFT adapter folder for the model whose projections are <paramref name="linears"/>: every tensor in
    /// the file must find its Linear with matching shapes. The set lists the modules in the order of the Linears.</summary>
    public static AdapterSet Load(string directory, IEnumerable<Linear> linears)
    {
        var options = ReadConfig(directory);
        var list = linears.ToList();
        string path = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(path)) throw new EngineException($"{directory}: {WeightsFileName} is missing");
        using var file = SafeTensorFile.Open(path);
        var byName = list.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var found = new Dictionary<string, (float[]? A, float[]? B, int Rank)>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            string key = info.Name;
            bool isA = key.EndsWith(".lora_A.weight", StringComparison.Ordinal), isB = key.EndsWith(".lora_B.weight", StringComparison.Ordinal);
            if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || !(isA || isB))
                throw new EngineException($"{path}: tensor '{key}' is not a LoRA weight (expected {KeyPrefix}<module>.lora_A.weight or .lora_B.weight)");
            string module = key[KeyPrefix.Length..^".lora_A.weight".Length];
            if (!byName.TryGetValue(module, out var lin))
                throw new EngineException($"{path}: tensor '{key}' names module '{module}', which the model does not have");
            long[] expected = isA ? [options.Rank, lin.InFeatures] : [lin.OutFeatures, options.Rank];
            if (!info.Shape.AsSpan().SequenceEqual(expected))
                throw new EngineException($"{path}: tensor '{key}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", expected)}] (r = {options.Rank})");
            var values = file.ReadFloat32(info.Name);
            var cur = found.GetValueOrDefault(module);
            found[module] = isA ? (values, cur.B, options.Rank) : (cur.A, values, options.Rank);
        }
        foreach (var (module, (a, b, _)) in found)
            if (a is null || b is null)
                throw new EngineException($"{path}: module '{module}' has only lora_{(a is null ? "B" : "A")}, expected both lora_A and lora_B");
        if (found.Count == 0) throw new EngineException($"{path}: no LoRA tensors found");
        var modules = list.Where(l => found.ContainsKey(l.Name)).Select(lin =>
        {
            var (a, b, rank) = found[lin.Name];
            return KeyValuePair.Create(lin.Name,
                new LoraAdapter(lin.InFeatures, lin.OutFeatures, rank, options.Alpha, options.UseRsLora, options.Dropout, a!, b!));
        });
        return new AdapterSet(modules, directory);
    }

    /// <summary>Writes adapter_model.safetensors alone (float32, metadata {"format": "pt"}), atomically; for callers that
    /// keep an adapter_config.json of their own (a federated aggregator keeps the initial adapter's verbatim).</summary>
    public static void SaveWeights(string directory, AdapterSet adapters)
    {
        Directory.CreateDirectory(directory);
        var entries = Tensors(adapters).Select(t => SafeTensorEntry.FromFloat32(t.Key, t.Values, t.Rows, t.Columns)).ToList();
        SafeTensorWriter.Write(Path.Combine(directory, WeightsFileName), entries, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Loads a PEFT adapter folder without its model (a federated aggregator averages adapters it never runs):
    /// each module's in/out features come from its tensors, which must agree with the config's r. The set lists the
    /// modules in ordinal order of their paths.</summary>
    public static AdapterSet Load(string directory)
    {
        var options = ReadConfig(directory);
        string path = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(path)) throw new EngineException($"{directory}: {WeightsFileName} is missing");
        using var file = SafeTensorFile.Open(path);
        var tensors = file.Tensors.Select(info => info.Shape.Length == 2
            ? (info.Name, (int)info.Shape[0], (int)info.Shape[1], file.ReadFloat32(info.Name))
            : throw new EngineException($"{path}: tensor '{info.Name}' has shape [{string.Join(", ", info.Shape)}], expected a 2-d LoRA matrix"));
        return FromTensors(tensors.ToList(), options, directory, path);
    }

    /// <summary>The inverse of <see cref="Tensors"/>: an adapter set from PEFT-keyed matrices (lora_A [r, in], lora_B
    /// [out, r] per module, r from <paramref name="options"/>), modules in ordinal order; <paramref name="source"/> names
    /// the tensors' origin in errors.</summary>
    public static AdapterSet FromTensors(IEnumerable<(string Key, int Rows, int Columns, float[] Values)> tensors, LoraOptions options,
        string name, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(options);
        source ??= name;
        var found = new SortedDictionary<string, (float[]? A, float[]? B, int In, int Out)>(StringComparer.Ordinal);
        foreach (var (key, rows, columns, values) in tensors)
        {
            bool isA = key.EndsWith(".lora_A.weight", StringComparison.Ordinal), isB = key.EndsWith(".lora_B.weight", StringComparison.Ordinal);
            if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || !(isA || isB))
                throw new EngineException($"{source}: tensor '{key}' is not a LoRA weight (expected {KeyPrefix}<module>.lora_A.weight or .lora_B.weight)");
            if ((long)rows * columns != values.Length)
                throw new EngineException($"{source}: tensor '{key}' has {values.Length} values for shape [{rows}, {columns}]");
            if ((isA ? rows : columns) != options.Rank)
                throw new EngineException($"{source}: tensor '{key}' has shape [{rows}, {columns}], expected r = {options.Rank} as its {(isA ? "first" : "second")} dimension");
            string module = key[KeyPrefix.Length..^".lora_A.weight".Length];
            var cur = found.GetValueOrDefault(module, (null, null, -1, -1));
            if (isA ? cur.A is not null : cur.B is not null) throw new EngineException($"{source}: tensor '{key}' appears twice");
            found[module] = isA ? (values, cur.B, columns, cur.Out) : (cur.A, values, cur.In, rows);
        }
        if (found.Count == 0) throw new EngineException($"{source}: no LoRA tensors found");
        return new AdapterSet(found.Select(kv =>
        {
            var (a, b, inFeatures, outFeatures) = kv.Value;
            if (a is null || b is null)
                throw new EngineException($"{source}: module '{kv.Key}' has only lora_{(a is null ? "B" : "A")}, expected both lora_A and lora_B");
            return KeyValuePair.Create(kv.Key, new LoraAdapter(inFeatures, outFeatures, options.Rank, options.Alpha, options.UseRsLora, options.Dropout, a, b));
        }), name);
    }

    internal static string LastPart(string module) => module[(module.LastIndexOf('.') + 1)..];
}
