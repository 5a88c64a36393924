// One training sequence: token ids and Hugging Face-style labels (the id to predict at that position, −100 = no loss),
// so targets for position t are labels[t + 1] (the shift transformers' causal-LM loss does). A packed sequence holds
// several examples back to back; Starts names where each begins (attention and positions restart there).
namespace RagTune.Engine.Training;

public sealed record TokenizedExample(int[] Ids, int[] Labels)
{
    public const int IgnoreIndex = -100;

    /// <summary>The first token of each example in the row: [0] for a single example.</summary>
    public int[] Starts { get; init; } = [0];

    /// <summary>targets[t] = labels[t + 1], −1 where masked, at the last position and at the last token of each packed
    /// example (its next token belongs to another example).</summary>
    public int[] Targets()
    {
        var t = new int[Ids.Length];
        for (int i = 0; i < t.Length; i++)
            t[i] = i + 1 < Labels.Length && Labels[i + 1] != IgnoreIndex && Array.IndexOf(Starts, i + 1) < 0 ? Labels[i + 1] : -1;
        return t;
    }

    public int TargetCount => Targets().Count(t => t >= 0);

    /// <summary>Packs examples in order into rows of at most <paramref name="maxLength"/> tokens (an example longer than
    /// that gets a row of its own), first fit: the loss and gradients of a row are those of its examples apart.</summary>
    public static List<TokenizedExample> Pack(IEnumerable<TokenizedExample> examples, int maxLength)
    {
        var rows = new List<List<TokenizedExample>>();
        var lengths = new List<int>();
        foreach (var e in examples)
        {
            if (e.Starts.Length != 1)
                throw new ArgumentException("Pack takes single examples, not packed rows", nameof(examples));
            int row = lengths.FindIndex(n => n + e.Ids.Length <= maxLength);
            if (row < 0)
            {
                rows.Add([]);
                lengths.Add(0);
                row = rows.Count - 1;
            }
            rows[row].Add(e);
            lengths[row] += e.Ids.Length;
        }
        return rows.Select(Concatenate).ToList();
    }

    private static TokenizedExample Concatenate(List<TokenizedExample> parts)
    {
        if (parts.Count == 1) return parts[0];
        var starts = new int[parts.Count];
        for (int i = 1; i < parts.Count; i++) starts[i] = starts[i - 1] + parts[i - 1].Ids.Length;
        return new TokenizedExample([.. parts.SelectMany(p => p.Ids)], [.. parts.SelectMany(p => p.Labels)]) { Starts = starts };
    }
}
