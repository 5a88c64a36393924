// Everything that shapes a RAFT dataset: questions per chunk, distractors, P, seed, CoT conventions, templates, quality gate.
using RagTune.Knowledge;
using RagTune.Knowledge.Rag;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Generation;

/// <summary>How distractor documents are chosen.</summary>
public enum DistractorMode
{
    /// <summary>Uniformly at random from chunks of other documents (gorilla raft.py).</summary>
    Random,

    /// <summary>The chunks of other documents most similar to the question (<see cref="IHardNegativeProvider"/>).</summary>
    Hard,
}

/// <summary>
/// RAFT generation settings. All of these except <see cref="ChunkConcurrency"/> go into the run's settings hash.
/// Defaults follow the RAFT paper (1 oracle + 4 distractors, P = 0.8) rather than raft.py's (3, 1.0).
/// </summary>
public sealed class RaftOptions
{
    public int QuestionsPerChunk { get; set; } = 5;

    /// <summary>k: distractor documents per example; every example's context holds k + 1 documents.</summary>
    public int Distractors { get; set; } = 4;

    /// <summary>P: probability that the oracle chunk is in the context (else it is replaced by one more distractor).</summary>
    public double OracleProbability { get; set; } = 0.8;

    public DistractorMode DistractorMode { get; set; } = DistractorMode.Random;

    public ulong Seed { get; set; } = 42;

    /// <summary>Share of chunks (rounded, at least one when there are two or more chunks) whose examples go to the test split.</summary>
    public double TestFraction { get; set; } = 0.1;

    /// <summary>Null = detect per chunk from its share of CJK characters.</summary>
    public RaftLanguage? Language { get; set; }

    public RaftPrompts Prompts { get; set; } = RaftPrompts.BuiltIn;

    public float? Temperature { get; set; }

    public int? MaxOutputTokens { get; set; }

    /// <summary>Teacher calls per chunk to obtain questions before the chunk is recorded with none.</summary>
    public int MaxQuestionAttempts { get; set; } = 3;

    /// <summary>Teacher calls per question to obtain an answer that passes the quality gate before it is dropped.</summary>
    public int MaxAnswerAttempts { get; set; } = 3;

    /// <summary>Longest accepted final answer (characters after the answer marker).</summary>
    public int MaxFinalAnswerChars { get; set; } = 400;

    /// <summary>Reject answers that quote nothing from the oracle.</summary>
    public bool RequireQuote { get; set; } = true;

    /// <summary>The student's prompt and the answer's markup (document and instruction templates, quote and answer
    /// markers, system prompt); recorded with the dataset as <see cref="RagPromptFormat.FileName"/>.</summary>
    public RagPromptFormat Format { get; set; } = RagPromptFormat.Default;

    /// <summary>Chunks processed at once (their teacher calls still pass the teacher's own concurrency gate).</summary>
    public int ChunkConcurrency { get; set; } = 4;

    internal void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok)
                throw new RaftException(what);
        }
        Check(QuestionsPerChunk is >= 1 and <= 100, $"questions per chunk {QuestionsPerChunk} is invalid: expected 1..100");
        Check(Distractors is >= 0 and <= 50, $"distractors {Distractors} is invalid: expected 0..50");
        Check(OracleProbability is >= 0 and <= 1, $"oracle probability P = {OracleProbability} is invalid: expected 0..1");
        Check(TestFraction is >= 0 and < 1, $"test fraction {TestFraction} is invalid: expected 0 ≤ f < 1");
        Check(MaxQuestionAttempts >= 1 && MaxAnswerAttempts >= 1, "max question/answer attempts must be at least 1");
        Check(MaxFinalAnswerChars >= 1, $"max final answer length {MaxFinalAnswerChars} is invalid: expected at least 1");
        Check(ChunkConcurrency >= 1, $"chunk concurrency {ChunkConcurrency} is invalid: expected at least 1");
        Check(Format is not null, "the RAG prompt format is null");
        try
        {
            Format!.Validate();
        }
        catch (KnowledgeException e)
        {
            throw new RaftException(e.Message, e);
        }
    }
}
