// A half-open char range [Start, End) into a text.
namespace RagTune.Knowledge.Text;

public readonly record struct TextSpan(int Start, int End)
{
    public int Length => End - Start;
}
