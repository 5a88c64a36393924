// A decoder reranker in the Qwen3-Reranker style: the causal LM reads the model's own judging prompt (system message,
// "<Instruct>: …\n<Query>: …\n<Document>: …", an assistant turn opened with an empty think block) and the score is the
// softmax over its "yes" and "no" logits at the last position, "yes" taken — as the Qwen3-Reranker model card computes it.
// Prefix, middle and suffix are tokenised separately, as there; special tokens are parsed in the fixed prompt only, never
// in the query or document.
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Models;

public sealed class DecoderReranker : IRerankerModel
{
    public const string DefaultInstruction = "Given a web search query, retrieve relevant passages that answer the query";

    public const string Prefix =
        "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. " +
        "Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n";

    public const string Suffix = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    /// <summary>The model card's max_length: prompt tokens, prefix and suffix included (less where the model has fewer positions).</summary>
    public const int MaxLength = 8192;

    public DecoderModel Model { get; }
    public ITokenizer Tokenizer { get; }
    public string Directory { get; }

    /// <summary>The task description put after "&lt;Instruct&gt;: ".</summary>
    public string Instruction { get; }

    public int YesId { get; }
    public int NoId { get; }

    private readonly int[] _prefix, _suffix;

    public DecoderReranker(string directory, DecoderModel model, ITokenizer tokenizer, string? instruction = null)
    {
        Directory = directory;
        Model = model;
        Tokenizer = tokenizer;
        Instruction = string.IsNullOrWhiteSpace(instruction) ? DefaultInstruction : instruction;
        YesId = AnswerId(tokenizer, "yes", directory);
        NoId = AnswerId(tokenizer, "no", directory);
        _prefix = tokenizer.Encode(Prefix, parseSpecial: true);
        _suffix = tokenizer.Encode(Suffix, parseSpecial: true);
        if (_prefix.Length + _suffix.Length >= MaxTokens)
            throw new EngineException($"{model.Config.Path}: max_position_embeddings {model.Config.MaxPositionEmbeddings} leaves no room after the {_prefix.Length + _suffix.Length}-token reranker prompt");
    }

    /// <summary>Loads a causal decoder checkpoint (Qwen3-Reranker and its kin are plain Qwen3ForCausalLM) whose vocabulary
    /// has "yes" and "no" as tokens.</summary>
    public static DecoderReranker Load(string directory, string? instruction = null)
    {
        var tokenizer = Tokenizers.Tokenizer.Load(directory);
        var model = DecoderModel.Load(directory);
        try
        {
            return new DecoderReranker(directory, model, tokenizer, instruction);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private int MaxTokens => Math.Min(MaxLength, Model.Config.MaxPositionEmbeddings);

    /// <summary>Prefix + "&lt;Instruct&gt;: …\n&lt;Query&gt;: …\n&lt;Document&gt;: …" (cut from the end to fit) + suffix.</summary>
    public int[] Tokenize(string query, string document)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(document);
        int[] middle = Tokenizer.Encode($"<Instruct>: {Instruction}\n<Query>: {query}\n<Document>: {document}");
        int room = MaxTokens - _prefix.Length - _suffix.Length;
        return [.. _prefix, .. middle.AsSpan(0, Math.Min(middle.Length, room)), .. _suffix];
    }

    /// <summary>The "yes" and "no" logits at the last position of the prompt.</summary>
    public (float Yes, float No) AnswerLogits(string query, string document)
    {
        int[] ids = Tokenize(query, document);
        var session = Model.CreateSession(ids.Length);
        var logits = session.Forward(ids);
        float yes = logits[YesId], no = logits[NoId];
        if (!float.IsFinite(yes) || !float.IsFinite(no)) throw Model.NonFiniteError("the reranker's yes/no logits");
        return (yes, no);
    }

    /// <summary>P(yes) = softmax([no, yes])[1] = sigmoid(yes − no).</summary>
    public float Score(string query, string passage)
    {
        var (yes, no) = AnswerLogits(query, passage);
        return 1f / (1f + MathF.Exp(no - yes));
    }

    private static int AnswerId(ITokenizer tokenizer, string answer, string directory) =>
        tokenizer.TokenToId(answer)
        ?? throw new EngineException($"{directory}: the tokenizer has no token \"{answer}\", expected a decoder reranker (Qwen3-Reranker style) whose vocabulary holds \"yes\" and \"no\"");

    public void Dispose() => Model.Dispose();
}
