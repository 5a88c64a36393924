// Turns a conversation into a training sequence with the model's chat template: every segment the template adds and every
// system/user turn is masked (label −100); the assistant turns' content and end-of-turn token carry the loss. Each segment is
// tokenised on its own (as LLaMA-Factory does), so masks line up with token boundaries exactly.
using RagTune.Engine.Chat;
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Training;

public sealed class SftExampleBuilder(ITokenizer tokenizer, ChatTemplate template, int maxLength, bool truncateDocuments)
{
    private const string DocumentEnd = "</DOCUMENT>";

    /// <summary>Samples dropped because they exceeded the length limit.</summary>
    public int Dropped { get; private set; }

    /// <summary>Samples whose documents were shortened to fit (only with truncateDocuments).</summary>
    public int Truncated { get; private set; }

    /// <summary>The sequence, or null when it is longer than the limit (counted in <see cref="Dropped"/>).</summary>
    public TokenizedExample? Build(IReadOnlyList<ChatTurn> turns)
    {
        var example = Encode(turns);
        if (example.Ids.Length <= maxLength) return example;
        if (truncateDocuments)
            for (int attempt = 0; attempt < 4 && example.Ids.Length > maxLength; attempt++)
            {
                var shorter = ShortenDocuments(turns, example.Ids.Length - maxLength);
                if (shorter is null) break;
                turns = shorter;
                example = Encode(turns);
                if (example.Ids.Length <= maxLength)
                {
                    Truncated++;
                    return example;
                }
            }
        Dropped++;
        return null;
    }

    public TokenizedExample Encode(IReadOnlyList<ChatTurn> turns)
    {
        var ids = new List<int>();
        var labels = new List<int>();
        int[] endOfTurn = template.StopTokenIds(tokenizer);
        string rendered = "";
        for (int i = 0; i < turns.Count; i++)
        {
            var upTo = turns.Take(i + 1).ToList();
            if (turns[i].Role == "assistant")
            {
                if (i == 0)
                    throw new EngineException("a training conversation must start with a system or user turn, not an assistant turn");
                string prompt = Render(turns.Take(i).ToList(), addGenerationPrompt: true);
                Append(Delta(rendered, prompt), learn: false);
                rendered = prompt;
            }
            string next = Render(upTo, addGenerationPrompt: false);
            string delta = Delta(rendered, next);
            if (turns[i].Role == "assistant" && endOfTurn.Length > 0)
            {
                // Learn the content up to and including the end-of-turn token; what follows it (a newline) is template.
                var tokens = tokenizer.Encode(delta, parseSpecial: true);
                int cut = endOfTurn.Max(eot => Array.LastIndexOf(tokens, eot)) + 1;
                if (cut == 0) cut = tokens.Length;
                for (int k = 0; k < tokens.Length; k++)
                {
                    ids.Add(tokens[k]);
                    labels.Add(k < cut ? tokens[k] : TokenizedExample.IgnoreIndex);
                }
            }
            else
                Append(delta, learn: turns[i].Role == "assistant");
            rendered = next;
        }
        return new TokenizedExample(ids.ToArray(), labels.ToArray());

        void Append(string text, bool learn)
        {
            if (text.Length == 0) return;
            foreach (int id in tokenizer.Encode(text, parseSpecial: true))
            {
                ids.Add(id);
                labels.Add(learn ? id : TokenizedExample.IgnoreIndex);
            }
        }
    }

    private string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt) =>
        template.Render(turns, new ChatTemplateOptions { AddGenerationPrompt = addGenerationPrompt });

    private static string Delta(string before, string after) =>
        after.StartsWith(before, StringComparison.Ordinal)
            ? after[before.Length..]
            : throw new EngineException("the chat template re-renders earlier turns differently (e.g. stripped <think> blocks), "
                + "so assistant tokens cannot be masked exactly; remove reasoning from earlier assistant turns");

    /// <summary>Drops about <paramref name="excess"/> tokens from the end of the documents part (text up to the last
    /// &lt;/DOCUMENT&gt;) of the last user turn, keeping the question; null when there is no documents part.</summary>
    private IReadOnlyList<ChatTurn>? ShortenDocuments(IReadOnlyList<ChatTurn> turns, int excess)
    {
        int u = -1;
        for (int i = turns.Count - 1; i >= 0; i--)
            if (turns[i].Role == "user") { u = i; break; }
        if (u < 0) return null;
        string content = turns[u].Content;
        int end = content.LastIndexOf(DocumentEnd, StringComparison.Ordinal);
        if (end < 0) return null;
        string docs = content[..end];
        var docTokens = tokenizer.Encode(docs, parseSpecial: false);
        int keep = docTokens.Length - excess - 4;
        if (keep <= 0) return null;
        string shortened = tokenizer.Decode(docTokens.AsSpan(0, keep)) + " …" + content[end..];
        var copy = turns.ToList();
        copy[u] = turns[u] with { Content = shortened };
        return copy;
    }
}
