// The student's prompt and target texts: gorilla RAFT's <DOCUMENT> layout and its ##begin_quote## / <ANSWER>: answer
// format, kept short so a tiny model spends its capacity on finding and copying the fact.
using RagTune.Knowledge.Rag;

namespace RagTune.Pipeline.Synthetic;

public static class SyntheticPrompts
{
    /// <summary>The benchmark's prompt contract: RAFT's default.</summary>
    public static RagPromptFormat Format => RagPromptFormat.Default;

    /// <summary>The user turn: the documents (if any) through the format's document template, then the question.</summary>
    public static string Instruction(string question, IEnumerable<string> documents) => Format.BuildInstruction(documents, question);

    /// <summary>The assistant turn for a regime: &lt;ANSWER&gt;: value (DSF, RAFT) or quote + &lt;ANSWER&gt;: value (RAFT CoT).
    /// Without the oracle in context the CoT still quotes it: RAFT's teacher answers from the oracle it knows.</summary>
    /// <remarks>The value follows a space in every regime, as it does in the documents ("… invented by Kaped."), so the
    /// word-level tokenizer gives it the same token id in the answer as in the context: copying is then an attention
    /// pattern alone. A bare "Kaped" at the start of the turn is a different token ("Kaped" vs "ĠKaped"), which forces a bare-answer
    /// student to learn, besides where to look, a second output token per value.</remarks>
    public static string Answer(RaftRegime regime, SyntheticFact fact)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return regime == RaftRegime.RaftCot
            ? $"{Format.Quote(fact.Sentence)} {Format.AnswerMarker} {fact.Value}"
            : $"{Format.AnswerMarker} {fact.Value}";
    }
}
