// The one error for a model that computed NaN or infinity: it names the checkpoint folder and the first tensor holding
// non-finite values (a damaged weight file), or, when every weight is finite, says the activations overflowed.
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
}
