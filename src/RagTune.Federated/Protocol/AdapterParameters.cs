// A site's LoRA adapter as Flower Parameters: one numpy .npy byte string per tensor, tensor_type "numpy.ndarray", in ONE
// order — the PEFT keys of adapter_model.safetensors (base_model.model.<module>.lora_A.weight [r, in] and
// .lora_B.weight [out, r]) sorted ordinally — float32 on the wire unless float16 is asked for. Decoding validates the count,
// every .npy header, shape and value against the site's adapter before anything is written, so a bad message never leaves a
// half-loaded adapter. A site takes float32, float16 and float64 whatever it sends: Flower's FedAvg returns the dtype NumPy
// 1.x's arithmetic gives its weighted average (float64 from float32 updates once a round has 65,536 examples, float32 from
// float16 updates once a site has 256), and refusing it would end the federation at round 2. The aggregator asks for its
// own dtype exactly (exactDtype).
using Google.Protobuf;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;

namespace RagTune.Federated.Protocol;

internal sealed class AdapterParameters
{
    /// <summary>Flower's tensor_type for .npy tensors (flwr.common.parameter.ndarrays_to_parameters).</summary>
    public const string TensorType = "numpy.ndarray";

    private readonly List<Slot> _slots;
    private readonly bool _exactDtype;

    /// <summary>The layout of <paramref name="layout"/>'s tensors; <paramref name="dtype"/> is what <see cref="Encode"/>
    /// writes; <see cref="Decode"/> reads float32, float16 and float64 alike unless <paramref name="exactDtype"/>, when it
    /// refuses any dtype but <paramref name="dtype"/>.</summary>
    public AdapterParameters(AdapterSet layout, NpyDtype dtype = NpyDtype.Float32, bool exactDtype = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Dtype = dtype;
        _exactDtype = exactDtype;
        _slots = [.. PeftAdapter.Tensors(layout).Select(t => new Slot(t.Key, [t.Rows, t.Columns]))
            .OrderBy(s => s.Key, StringComparer.Ordinal)];
    }

    public NpyDtype Dtype { get; }

    /// <summary>The tensors' PEFT keys in wire order.</summary>
    public IReadOnlyList<string> Keys => [.. _slots.Select(s => s.Key)];

    /// <summary>The tensors' shapes in wire order ([r, in] for lora_A, [out, r] for lora_B).</summary>
    public IReadOnlyList<IReadOnlyList<int>> Shapes => [.. _slots.Select(s => (IReadOnlyList<int>)s.Shape)];

    /// <summary><paramref name="adapters"/>' tensors (which must have this layout) as Flower Parameters.</summary>
    public Parameters Encode(AdapterSet adapters)
    {
        var byKey = ByKey(adapters, "the adapter to send");
        var parameters = new Parameters { TensorType = TensorType };
        foreach (var slot in _slots)
            parameters.Tensors.Add(ByteString.CopyFrom(NpyFormat.Write(new NpyArray(Dtype, slot.Shape, byKey[slot.Key]))));
        return parameters;
    }

    /// <summary>The values of <paramref name="parameters"/>' tensors in wire order, each checked against this layout
    /// (count, tensor_type, .npy bytes, dtype when exact, shape, finite values after conversion to float32); <paramref name="field"/> names the message field in
    /// errors ("round 3: FitIns.parameters"). Nothing is written anywhere.</summary>
    public IReadOnlyList<float[]> Decode(Parameters parameters, string field)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.TensorType != TensorType)
            throw new FederatedException($"{field}.tensor_type: expected \"{TensorType}\", got \"{parameters.TensorType}\"");
        if (parameters.Tensors.Count != _slots.Count)
            throw new FederatedException($"{field}.tensors: expected {_slots.Count} tensors (the adapter's lora_A/lora_B weights, " +
                $"PEFT keys sorted ordinally: {_slots[0].Key} first), got {parameters.Tensors.Count}");
        var values = new float[_slots.Count][];
        for (int i = 0; i < _slots.Count; i++)
        {
            var slot = _slots[i];
            string where = $"{field}.tensors[{i}] ({slot.Key})";
            var array = NpyFormat.Read(parameters.Tensors[i].Span, where);
            if (_exactDtype && array.Dtype != Dtype)
                throw new FederatedException($"{where}: expected dtype {Describe(Dtype)}, got {Describe(array.Dtype)}");
            if (!array.Shape.SequenceEqual(slot.Shape))
                throw new FederatedException($"{where}: expected shape {NpyArray.FormatShape(slot.Shape)}, got {array.ShapeText}");
            int bad = Array.FindIndex(array.Values, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new FederatedException($"{where}: value {bad} is {array.Values[bad]} (expected finite numbers)");
            values[i] = array.Values;
        }
        return values;
    }

    /// <summary>Copies decoded <paramref name="values"/> (from <see cref="Decode"/>) into <paramref name="target"/>'s A and
    /// B arrays in place — the arrays a trainer or session already holds.</summary>
    public void CopyInto(IReadOnlyList<float[]> values, AdapterSet target)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != _slots.Count) throw new ArgumentException($"expected {_slots.Count} tensors, got {values.Count}", nameof(values));
        var byKey = ByKey(target, "the target adapter");
        for (int i = 0; i < _slots.Count; i++)
        {
            var destination = byKey[_slots[i].Key];
            if (values[i].Length != destination.Length)
                throw new ArgumentException($"{_slots[i].Key}: {values[i].Length} values for a tensor of {destination.Length}", nameof(values));
            values[i].CopyTo(destination, 0);
        }
    }

    /// <summary>Key → the adapter's own array, after checking that <paramref name="adapters"/> has exactly this layout.</summary>
    private Dictionary<string, float[]> ByKey(AdapterSet adapters, string what)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var byKey = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var t in PeftAdapter.Tensors(adapters)) byKey[t.Key] = t.Values;
        if (byKey.Count != _slots.Count || _slots.Any(s => !byKey.TryGetValue(s.Key, out var v) || v.Length != s.Shape[0] * s.Shape[1]))
            throw new FederatedException($"{what} ('{adapters.Name}') does not have the layout of the site's adapter ({_slots.Count} tensors)");
        return byKey;
    }

    private static string Describe(NpyDtype dtype) => dtype switch
    {
        NpyDtype.Float32 => "'<f4' (float32)",
        NpyDtype.Float16 => "'<f2' (float16)",
        _ => "'<f8' (float64)",
    };

    private sealed record Slot(string Key, int[] Shape);
}
