// One training sequence: token ids and Hugging Face-style labels (the id to predict at that position, −100 = no loss),
// so targets for position t are labels[t + 1] (the shift transformers' causal-LM loss does).
namespace RagTune.Engine.Training;

public sealed record TokenizedExample(int[] Ids, int[] Labels)
{
    public const int IgnoreIndex = -100;

    /// <summary>targets[t] = labels[t + 1], −1 where masked and at the last position.</summary>
    public int[] Targets()
    {
        var t = new int[Ids.Length];
        for (int i = 0; i < t.Length; i++)
            t[i] = i + 1 < Labels.Length && Labels[i + 1] != IgnoreIndex ? Labels[i + 1] : -1;
        return t;
    }

    public int TargetCount => Labels.Skip(1).Count(l => l != IgnoreIndex);
}
