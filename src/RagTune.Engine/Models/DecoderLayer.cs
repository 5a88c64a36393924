// The parameters of one Llama-family decoder layer (LlamaDecoderLayer / Qwen2DecoderLayer / Qwen3DecoderLayer /
// InternLM2DecoderLayer): q, k and v as three projections, or as one packed projection (InternLM2's wqkv) split after it.
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public sealed class DecoderLayer
{
    public required float[] InputLayerNorm { get; init; }          // [C]
    public float[]? InputNormBias { get; init; }                   // [C], LayerNorm's bias (GPT-2), or null for RMSNorm
    public Linear? QProj { get; init; }                            // [H·D, C], null when QkvProj packs it
    public Linear? KProj { get; init; }                            // [KV·D, C]
    public Linear? VProj { get; init; }                            // [KV·D, C]
    public Linear? QkvProj { get; init; }                          // [(H + 2·KV)·D, C] packed (DecoderConfig.QkvLayout), or null
    public required Linear OProj { get; init; }                    // [C, H·D]
    public float[]? QNorm { get; init; }                           // [D], Qwen3 only
    public float[]? KNorm { get; init; }                           // [D], Qwen3 only
    public required float[] PostAttentionLayerNorm { get; init; }  // [C]
    public float[]? PostNormBias { get; init; }                    // [C], or null
    public Linear? GateProj { get; init; }                         // [I, C], null for an ungated MLP (GPT-2)
    public required Linear UpProj { get; init; }                   // [I, C]
    public required Linear DownProj { get; init; }                 // [C, I]

    /// <summary>q, k, v (or the packed qkv), o, gate (when gated), up, down: every projection of the layer, in this order.</summary>
    public IReadOnlyList<Linear> Linears => [.. new[] { QProj, KProj, VProj, QkvProj, OProj, GateProj, UpProj, DownProj }.OfType<Linear>()];

    private MatVecOperand[]? _operands;

    /// <summary><see cref="Linears"/> as the fused decode kernels read them without adapters, built on first use.</summary>
    internal MatVecOperand[] Operands => _operands ??= OperandsWith(null);

    /// <summary>The same with <paramref name="adapters"/>' adapter on each projection that has one (a session's own array).</summary>
    internal MatVecOperand[] OperandsWith(AdapterSet? adapters) => [.. Linears.Select(l => LinearOperands.Of(l, adapters))];
}
