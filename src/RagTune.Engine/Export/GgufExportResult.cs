// What an export wrote: the .gguf file, the Modelfile, how many tensors of each ggml type, and warnings for the user.
using RagTune.Engine.Formats;

namespace RagTune.Engine.Export;

public sealed record GgufExportResult(
    string GgufPath,
    string? ModelfilePath,
    IReadOnlyDictionary<GgmlType, int> TensorTypes,
    int MergedAdapterModules,
    IReadOnlyList<string> Warnings);
