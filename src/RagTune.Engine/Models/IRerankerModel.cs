// A local model that judges how well a passage answers a query: a cross-encoder (BertCrossEncoder) or a decoder asked
// "yes" or "no" (DecoderReranker). Read-only after loading, so one instance serves concurrent callers.
namespace RagTune.Engine.Models;

public interface IRerankerModel : IDisposable
{
    /// <summary>The checkpoint folder it was loaded from.</summary>
    string Directory { get; }

    /// <summary>The relevance of <paramref name="passage"/> to <paramref name="query"/> as a probability in [0, 1]: the
    /// sigmoid of a cross-encoder's logit, or a decoder's P("yes") against "no". Over-long input is truncated to the
    /// model's positions as the Hugging Face reference does.</summary>
    float Score(string query, string passage);
}
