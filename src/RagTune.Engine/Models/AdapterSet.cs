// The LoRA adapters of one session or request, by module path (model.layers.0.self_attn.q_proj, as PEFT names them):
// a fixed set of LoraAdapters with their scales, never attached to the shared model. Sessions over one model may each
// carry a different set (or none) at the same time; Linear.Forward and the fused decode path look the adapter up here.
namespace RagTune.Engine.Models;

public sealed class AdapterSet
{
    private readonly Dictionary<string, LoraAdapter> _byModule;

    /// <summary>The adapters in the order given (module path → adapter); a module appears once.</summary>
    public IReadOnlyList<KeyValuePair<string, LoraAdapter>> Modules { get; }

    /// <summary>A name for messages (the adapter folder, or "fresh").</summary>
    public string Name { get; }

    public AdapterSet(IEnumerable<KeyValuePair<string, LoraAdapter>> modules, string name)
    {
        ArgumentNullException.ThrowIfNull(modules);
        Modules = [.. modules];
        Name = name;
        _byModule = new Dictionary<string, LoraAdapter>(StringComparer.Ordinal);
        foreach (var (module, adapter) in Modules)
            if (!_byModule.TryAdd(module, adapter ?? throw new ArgumentException($"adapter set '{name}': module '{module}' has no adapter")))
                throw new ArgumentException($"adapter set '{name}': module '{module}' appears twice");
        if (_byModule.Count == 0) throw new ArgumentException($"adapter set '{name}' has no adapters");
    }

    /// <summary>The adapter on <paramref name="linear"/>, or null when this set has none for it.</summary>
    public LoraAdapter? For(Linear linear) => _byModule.GetValueOrDefault(linear.Name);

    /// <summary>Checks that every adapter names one of <paramref name="linears"/> with its shape; throws naming the first that does not.</summary>
    public void CheckFits(IEnumerable<Linear> linears, string model)
    {
        var byName = linears.ToDictionary(l => l.Name, StringComparer.Ordinal);
        foreach (var (module, a) in Modules)
        {
            if (!byName.TryGetValue(module, out var lin))
                throw new EngineException($"adapter '{Name}' names module '{module}', which {model} does not have");
            if (lin.InFeatures != a.InFeatures || lin.OutFeatures != a.OutFeatures)
                throw new EngineException($"adapter '{Name}': module '{module}' is {a.OutFeatures}x{a.InFeatures}, {model} has it {lin.OutFeatures}x{lin.InFeatures}");
        }
    }

    /// <summary>The same A and B with every scale multiplied by <paramref name="factor"/> (llama.cpp's --lora-scaled):
    /// the matrices are shared, not copied.</summary>
    public AdapterSet Scaled(float factor) =>
        new(Modules.Select(m => KeyValuePair.Create(m.Key, m.Value.Scaled(factor))), Name);

    /// <summary>Folds every adapter into the matching base weight of <paramref name="linears"/> (W ← W + scale·B·A), which
    /// must be float32; returns how many were merged.</summary>
    public int MergeInto(IEnumerable<Linear> linears)
    {
        var list = linears.ToList();
        CheckFits(list, "the model");
        int n = 0;
        foreach (var lin in list)
            if (For(lin) is { } ad)
            {
                ad.MergeInto(lin.Weight.WritableFloat32());
                n++;
            }
        return n;
    }

    public long ParameterCount => Modules.Sum(m => m.Value.ParameterCount);
}
