// The training graph of an embedding model, whichever kind it is: one text's ids → its pooled, normalised (if declared)
// embedding with activations saved, then the backward from dLoss/dembedding into the trainable parameters. Contrastive and
// LSR training (EmbeddingTrainer, LsrTrainer) run encoders (EncoderTrainingGraph) and decoder embedders
// (DecoderEmbeddingGraph) through it.
namespace RagTune.Engine.Training;

public interface IEmbeddingGraph
{
    /// <summary>The embedding [C] of one text's ids; saves what <see cref="Backward"/> needs.</summary>
    float[] Forward(ReadOnlySpan<int> ids);

    /// <summary>Accumulates parameter gradients given dLoss/dembedding [C] for the text of the last <see cref="Forward"/>.</summary>
    void Backward(ReadOnlySpan<float> dEmbedding);
}
