// The parameters of one Llama-family decoder layer (LlamaDecoderLayer / Qwen2DecoderLayer / Qwen3DecoderLayer).
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public sealed class DecoderLayer
{
    public required float[] InputLayerNorm { get; init; }          // [C]
    public required Linear QProj { get; init; }                    // [H·D, C]
    public required Linear KProj { get; init; }                    // [KV·D, C]
    public required Linear VProj { get; init; }                    // [KV·D, C]
    public required Linear OProj { get; init; }                    // [C, H·D]
    public float[]? QNorm { get; init; }                           // [D], Qwen3 only
    public float[]? KNorm { get; init; }                           // [D], Qwen3 only
    public required float[] PostAttentionLayerNorm { get; init; }  // [C]
    public required Linear GateProj { get; init; }                 // [I, C]
    public required Linear UpProj { get; init; }                   // [I, C]
    public required Linear DownProj { get; init; }                 // [C, I]

    private MatVecOperand[]? _operands;

    /// <summary>q, k, v, o, gate, up, down as the fused decode kernels read them, built on first use.</summary>
    internal MatVecOperand[] Operands => _operands ??=
        [.. new[] { QProj, KProj, VProj, OProj, GateProj, UpProj, DownProj }.Select(LinearOperands.Of)];

    /// <summary>True when a LoRA adapter sits on any projection: then decoding takes the unfused path, which applies it.</summary>
    internal bool HasAdapter => QProj.Adapter is not null || KProj.Adapter is not null || VProj.Adapter is not null
        || OProj.Adapter is not null || GateProj.Adapter is not null || UpProj.Adapter is not null || DownProj.Adapter is not null;
}
