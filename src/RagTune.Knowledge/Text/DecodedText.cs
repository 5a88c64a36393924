// The result of decoding a text file: its string and the encoding that was detected.
namespace RagTune.Knowledge.Text;

public sealed record DecodedText(string Text, string EncodingName);
