// The one error for a model that computed NaN or infinity: it names the checkpoint folder (or GGUF file) and the first tensor holding
// non-finite values (a damaged weight file), or, when every weight is finite, says the activations overflowed.
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

internal static class NonFiniteValues
{
    public static EngineException Error(Checkpoint checkpoint, string what)
    {
        var tensor = checkpoint.FirstNonFinite();
        return new EngineException(tensor is null
            ? $"{checkpoint.Directory}: {what} came out NaN or infinite although every weight is finite: the activations overflowed; expected finite values (try float32 weights)"
            : $"{checkpoint.Directory}: {what} came out NaN or infinite because tensor '{tensor.Name}' in {tensor.File} holds NaN or infinite values; expected finite weights (the file is damaged)");
    }

    public static EngineException Error(GgufFile gguf, string what)
    {
        GgufTensorInfo? bad = null;
        foreach (var t in gguf.Tensors)
        {
            var type = (GgmlType)t.GgmlType;
            if (!GgmlTypes.CanRead(type)) continue;
            var values = new float[t.ElementCount];
            GgmlQuants.Dequantize(type, gguf.ReadTensorData(t), values);
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(values))
            {
                bad = t;
                break;
            }
        }
        return new EngineException(bad is null
            ? $"{gguf.Path}: {what} came out NaN or infinite although every weight is finite: the activations overflowed; expected finite values"
            : $"{gguf.Path}: {what} came out NaN or infinite because tensor '{bad.Name}' holds NaN or infinite values; expected finite weights (the file is damaged)");
    }
}
