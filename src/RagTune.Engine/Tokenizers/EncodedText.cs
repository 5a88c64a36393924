// Ids together with the range of the input text each id stands for.
namespace RagTune.Engine.Tokenizers;

/// <param name="Offsets">Per id, [Start, End) in UTF-16 indices of the encoded string. Ids added by the post-processor
/// (e.g. [CLS]) have empty ranges; byte tokens that share one character each get that character's range.</param>
public sealed record EncodedText(int[] Ids, (int Start, int End)[] Offsets);
