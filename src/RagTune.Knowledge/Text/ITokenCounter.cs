// How chunk sizes are measured: a token count for a piece of text.
namespace RagTune.Knowledge.Text;

public interface ITokenCounter
{
    int Count(string text);
}
