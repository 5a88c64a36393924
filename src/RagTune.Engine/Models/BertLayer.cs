// The parameters of one BERT encoder layer (BertLayer: BertAttention, BertIntermediate, BertOutput).
namespace RagTune.Engine.Models;

public sealed class BertLayer
{
    public required Linear Query { get; init; }                 // [C, C]
    public required Linear Key { get; init; }                   // [C, C]
    public required Linear Value { get; init; }                 // [C, C]
    public required Linear AttentionOutput { get; init; }       // [C, C]
    public required float[] AttentionLayerNormWeight { get; init; } // [C]
    public required float[] AttentionLayerNormBias { get; init; }   // [C]
    public required Linear Intermediate { get; init; }          // [I, C]
    public required Linear Output { get; init; }                // [C, I]
    public required float[] OutputLayerNormWeight { get; init; }    // [C]
    public required float[] OutputLayerNormBias { get; init; }      // [C]
}
