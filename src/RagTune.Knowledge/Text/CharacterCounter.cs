// Chunk sizes in characters instead of tokens: for callers whose size setting is a character count (`raft generate --chunk-chars`).
namespace RagTune.Knowledge.Text;

/// <summary>Counts UTF-16 characters (<see cref="string.Length"/>), whitespace included, so a chunk of at most N "tokens"
/// is a span of at most N characters.</summary>
public sealed class CharacterCounter : ITokenCounter
{
    public static CharacterCounter Instance { get; } = new();

    public int Count(string text) => text.Length;
}
