// The parameters of one Llama-family decoder layer (LlamaDecoderLayer / Qwen2DecoderLayer / Qwen3DecoderLayer).
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
}
