// A site's answer to EvaluateIns: the global adapter's token-mean NLL on the site's held-out conversations (as the SFT
// trainer's eval loss counts it: assistant tokens only) and EM of its greedy answers to the first few of them, scored by
// the Eval layer (final answer after the data's answer marker, SQuAD or CMRC normalisation).
using RagTune.Engine.Chat;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;
using RagTune.Knowledge.Rag;

namespace RagTune.Federated.Sites;

internal sealed class SiteEvaluator
{
    private readonly TextGenerator _generator;
    private readonly ChatTemplate _template;
    private readonly List<TokenizedExample> _examples;
    private readonly List<IReadOnlyList<ChatTurn>> _answerable;
    private readonly RagPromptFormat _format;
    private readonly GenerationOptions _generation;

    public SiteEvaluator(TextGenerator generator, string modelPath, string dataPath, SftTrainingOptions training, int maxAnswers, int maxAnswerTokens)
    {
        _generator = generator;
        _template = ChatTemplate.Load(modelPath, generator.Tokenizer);
        var builder = new SftExampleBuilder(generator.Tokenizer, _template, training.MaxLength, training.TruncateDocuments);
        var conversations = Engine.Training.ConversationReader.Read(dataPath);
        _examples = [.. conversations.Select(builder.Build).OfType<TokenizedExample>().Where(e => e.TargetCount > 0)];
        if (_examples.Count == 0)
            throw new FederatedException($"{dataPath}: no held-out conversation fits in {training.MaxLength} tokens with an answer ({builder.Dropped} dropped)");
        _answerable = [.. conversations.Where(c => c.Count >= 2 && c[^1].Role == "assistant").Take(Math.Max(0, maxAnswers))];
        _format = RagPromptFormat.LoadBeside(dataPath);
        _generation = new GenerationOptions { MaxTokens = maxAnswerTokens, StopTokenIds = _template.StopTokenIds(generator.Tokenizer) };
    }

    /// <summary>Held-out conversations that count in the loss.</summary>
    public int Examples => _examples.Count;

    /// <summary>Conversations answered for EM.</summary>
    public int Answered => _answerable.Count;

    /// <summary>(token-mean NLL, EM in [0, 1] or NaN when nothing is answered) of <paramref name="adapters"/>.</summary>
    public async Task<(double Loss, double ExactMatch)> EvaluateAsync(AdapterSet adapters, CancellationToken cancellationToken)
    {
        double loss = await Task.Run(() => Loss(adapters, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (_answerable.Count == 0) return (loss, double.NaN);
        double em = 0;
        var generation = _generation with { Adapters = adapters };
        for (int i = 0; i < _answerable.Count; i++)
        {
            var turns = _answerable[i];
            string prompt = _template.Render(turns.Take(turns.Count - 1).ToList());
            var ids = _generator.Tokenizer.Encode(prompt, addSpecialTokens: false, parseSpecial: true);
            var answer = await _generator.GenerateTextAsync(ids, generation, cancellationToken).ConfigureAwait(false);
            var question = turns.Last(t => t.Role == "user").Content;
            var item = new EvalItem($"heldout-{i + 1}", string.IsNullOrEmpty(question) ? "(no question)" : question, [_format.FinalAnswer(turns[^1].Content)]);
            em += AnswerScorer.Score(item, new SystemAnswer(answer.Text.Trim()), _format).Metrics[MetricNames.ExactMatch];
        }
        return (loss, em / _answerable.Count);
    }

    private double Loss(AdapterSet adapters, CancellationToken cancellationToken)
    {
        var graph = new DecoderTrainingGraph(_generator.Model, new ParameterSet(), adapters) { Training = false };
        double sum = 0;
        long tokens = 0;
        foreach (var e in _examples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int k = e.TargetCount;
            sum += graph.Batch([e], backward: false) * k;
            tokens += k;
        }
        return sum / tokens;
    }
}
