// The pipeline of the pipeline tests (the runner's here, `ragtune run`'s in the CLI tests): six one-line pump records and
// a pipeline.yaml with tiny settings (small chunks, two questions per chunk, a few LoRA steps, short answers).
namespace RagTune.Pipeline.Tests;

internal sealed record TinyPipeline
{
    public const int DocumentCount = 6;

    public required string Student { get; init; }

    /// <summary>The teacher endpoint written into raft.teacher; null leaves it out (a test injects its teacher).</summary>
    public Uri? Teacher { get; init; }

    public int TeacherConcurrency { get; init; } = 2;

    public int Steps { get; init; } = 20;

    public int CheckpointEvery { get; init; } = 5;

    public int TopK { get; init; } = 2;

    public string Systems { get; init; } = "base, base_rag, tuned, tuned_rag, teacher_rag";

    public int MaxItems { get; init; } = 3;

    /// <summary>evaluate.embed_model (semantic_sim); null leaves it out.</summary>
    public string? EmbedModel { get; init; }

    /// <summary>knowledge_base.reranker; null leaves it out.</summary>
    public string? Reranker { get; init; }

    /// <summary>knowledge_base.doc_route; null leaves it out.</summary>
    public string? DocRoute { get; init; }

    /// <summary>Writes docs/device0.txt … device5.txt under <paramref name="root"/> (created if missing).</summary>
    public static void WriteDocuments(string root)
    {
        string folder = Path.Combine(root, "docs");
        Directory.CreateDirectory(folder);
        string[] names = ["Aldor", "Brisk", "Cavel", "Dunmore", "Elsk", "Farrow"];
        for (int i = 0; i < names.Length; i++)
            File.WriteAllText(Path.Combine(folder, $"device{i}.txt"),
                $"The {names[i]} pump runs at {100 + 7 * i} rpm. It was installed in hall {i + 3} in {1990 + i}. Its service interval is {i + 2} months.\n");
    }

    /// <summary>Writes <paramref name="root"/>/pipeline.yaml (documents: docs, work_dir: work) and returns its path.</summary>
    public string Write(string root)
    {
        string teacher = Teacher is null ? "" : $"""
              teacher:
                endpoint: {Teacher}
                model: teacher-x
                api_key_env: RAGTUNE_TEST_TEACHER_KEY
                concurrency: {TeacherConcurrency}

            """;
        string path = Path.Combine(root, "pipeline.yaml");
        File.WriteAllText(path, $"""
            documents: docs
            work_dir: work
            knowledge_base:
              chunk_levels: [64, 32]
              overlap_tokens: 4
            {(Reranker is null ? "" : "  reranker: " + Reranker + "\n")}{(DocRoute is null ? "" : "  doc_route: " + DocRoute + "\n  hierarchical_documents: 2\n")}raft:
            {teacher}  questions_per_chunk: 2
              distractors: 1
              oracle_probability: 0.8
              test_fraction: 0.3
            train:
              student: {Student}
              lora_rank: 4
              steps: {Steps}
              batch_size: 2
              learning_rate: 0.001
              max_length: 256
              checkpoint_every: {CheckpointEvery}
            evaluate:
              systems: [{Systems}]
              top_k: {TopK}
              max_items: {MaxItems}
              max_tokens: 6
            {(EmbedModel is null ? "" : "  embed_model: " + EmbedModel)}
            """);
        return path;
    }
}
