// A student checkpoint as an evaluation system: it answers each item greedily, shown the item's documents (all, the
// distractors only, or none) or what a retriever returns, in the prompt layout it was trained on.
using System.Diagnostics;
using RagTune.Engine.Chat;
using ChatTemplate = RagTune.Engine.Chat.ChatTemplate;
using ChatTurn = RagTune.Engine.Chat.ChatTurn;
using RagTune.Engine.Generation;
using RagTune.Eval;
using RagTune.Eval.Data;
using RagTune.Eval.Systems;

namespace RagTune.Pipeline.Synthetic;

/// <summary>What the student sees with the question.</summary>
public enum StudentContext
{
    ClosedBook,
    OracleAndDistractors,
    DistractorsOnly,
    Retrieved,
}

public sealed class StudentSystem : IEvalSystem
{
    private readonly TextGenerator _generator;
    private readonly ChatTemplate _template;
    private readonly StudentContext _context;
    private readonly Func<string, IReadOnlyList<RetrievedDocument>>? _retrieve;
    private readonly GenerationOptions _generation;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <param name="retrieve">For <see cref="StudentContext.Retrieved"/>: question → documents (e.g. BM25 over the knowledge base).</param>
    public StudentSystem(string name, TextGenerator generator, StudentContext context, Func<string, IReadOnlyList<RetrievedDocument>>? retrieve = null, int maxTokens = 64)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (context == StudentContext.Retrieved && retrieve is null)
            throw new EvalException($"student system '{name}': the Retrieved context needs a retriever");
        Name = name;
        _generator = generator;
        _template = ChatTemplate.Select(null, "Qwen2ForCausalLM", generator.Tokenizer);
        _context = context;
        _retrieve = retrieve;
        _generation = new GenerationOptions { MaxTokens = maxTokens, StopTokenIds = _template.StopTokenIds(generator.Tokenizer) };
    }

    public string Name { get; }

    /// <summary>What the student is shown with the item's question under this system's context (null: nothing).</summary>
    public IReadOnlyList<RetrievedDocument>? DocumentsFor(EvalItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return _context switch
        {
            StudentContext.ClosedBook => null,
            StudentContext.OracleAndDistractors => item.Documents.Select(d => new RetrievedDocument(d.Id, d.Text, d.IsOracle)).ToList(),
            StudentContext.DistractorsOnly => item.Documents.Where(d => !d.IsOracle).Select(d => new RetrievedDocument(d.Id, d.Text, false)).ToList(),
            _ => _retrieve!(item.Question),
        };
    }

    /// <summary>The rendered prompt: the training data's user turn (<see cref="SyntheticPrompts.Instruction"/>) in the chat
    /// template, ending with the assistant header, exactly as the trainer renders the text before the answer.</summary>
    public string Prompt(string question, IReadOnlyList<RetrievedDocument>? documents) =>
        _template.Render([new ChatTurn("user", SyntheticPrompts.Instruction(question, documents?.Select(d => d.Text) ?? []))]);

    public async Task<SystemAnswer> AnswerAsync(EvalItem item, CancellationToken cancellationToken)
    {
        var docs = DocumentsFor(item);
        string prompt = Prompt(item.Question, docs);
        var clock = Stopwatch.StartNew();
        // One decoding session at a time: the model's scratch buffers are not shared safely.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await _generator.GenerateTextAsync(_generator.EncodePrompt(prompt), _generation, cancellationToken).ConfigureAwait(false);
            return new SystemAnswer(result.Text.Trim(), docs, clock.Elapsed);
        }
        finally
        {
            _gate.Release();
        }
    }
}
