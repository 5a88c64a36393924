// Computes the dry-run estimate from the chunks, the prompts the run would send and assumed reply lengths.
using RagTune.Knowledge.Rag;
using System.Globalization;
using RagTune.Raft.Costs;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Generation;

/// <summary>
/// Per chunk: one question call (system + filled question prompt in, N × <see cref="QuestionTokens"/> out) and N answer
/// calls (filled answer prompt + a question of <see cref="QuestionTokens"/> in, <see cref="AnswerTokens"/> out). Prompt
/// sizes come from the real templates and chunk texts through <see cref="TokenEstimator"/>, plus
/// <see cref="MessageOverheadTokens"/> per message for the chat template.
/// </summary>
public sealed class RaftEstimator
{
    public const int MessageOverheadTokens = 4;

    public int QuestionTokens { get; set; } = 30;

    public int AnswerTokens { get; set; } = 350;

    public RaftEstimate Estimate(IReadOnlyList<RaftChunk> chunks, RaftOptions options, string model, PriceTable prices)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        options.Validate();
        long input = 0, output = 0;
        var n = options.QuestionsPerChunk;
        foreach (var chunk in chunks)
        {
            var language = options.Language ?? LanguageDetection.Detect(chunk.Text);
            var questionPrompt = PromptTemplate.Fill(options.Prompts.Questions(language), new Dictionary<string, string>
            {
                ["count"] = n.ToString(CultureInfo.InvariantCulture),
                ["chunk"] = chunk.Text,
            });
            input += TokenEstimator.Estimate(options.Prompts.System(language)) + TokenEstimator.Estimate(questionPrompt) + 2 * MessageOverheadTokens;
            output += (long)n * QuestionTokens;
            var answerPrompt = PromptTemplate.Fill(options.Prompts.Answer(language), new Dictionary<string, string>
            {
                ["question"] = "",
                ["chunk"] = chunk.Text,
                ["begin_quote"] = options.Format.QuoteBegin,
                ["end_quote"] = options.Format.QuoteEnd,
                ["answer_marker"] = options.Format.AnswerMarker,
            });
            input += n * (TokenEstimator.Estimate(answerPrompt) + QuestionTokens + MessageOverheadTokens);
            output += (long)n * AnswerTokens;
        }
        var price = prices.Find(model);
        return new RaftEstimate(model, chunks.Count, chunks.Count, (long)chunks.Count * n, input, output, price?.Cost(input, output));
    }
}
