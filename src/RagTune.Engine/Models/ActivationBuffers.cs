// The scratch activations of a decoder pass over up to Rows token rows (shapes as in DecoderModel.Forward), allocated once:
// a session's prefill chunks and a batched pass over several sessions (DecoderBatch) both run in one of these.
namespace RagTune.Engine.Models;

internal sealed class ActivationBuffers
{
    public readonly float[] X, H;        // [Rows, C] residual stream; normed input / sublayer output
    public readonly float[] Q, Att;      // [Rows, H·D]
    public readonly float[] K, V;        // [Rows, KV·D]
    public readonly float[] Gate, Up;    // [Rows, I]
    public readonly float[] Qkv;         // [Rows, (H + 2·KV)·D] the packed projection's output, or empty

    public ActivationBuffers(DecoderConfig c, int rows)
    {
        Rows = rows;
        X = new float[rows * c.HiddenSize];
        H = new float[rows * c.HiddenSize];
        Q = new float[rows * c.NumAttentionHeads * c.HeadDim];
        Att = new float[rows * c.NumAttentionHeads * c.HeadDim];
        K = new float[rows * c.NumKeyValueHeads * c.HeadDim];
        V = new float[rows * c.NumKeyValueHeads * c.HeadDim];
        Gate = new float[rows * c.IntermediateSize];
        Up = new float[rows * c.IntermediateSize];
        Qkv = c.QkvLayout is { } layout ? new float[rows * layout.Width] : [];
    }

    public int Rows { get; }
}
