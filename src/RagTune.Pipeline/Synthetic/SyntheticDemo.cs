// `ragtune demo`, offline and self-contained: a synthetic corpus → a BM25 knowledge base → RAFT data from the generator
// (it knows every fact, so it stands in for a teacher LLM) → a tiny student fine-tuned on it → base vs RAG vs fine-tuned
// on questions about entities the student never saw, as an HTML report.
using System.Text;
using RagTune.Engine.Generation;
using RagTune.Eval.Reports;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;
using RagTune.Knowledge.Lexical;
using RagTune.Raft.Export;

namespace RagTune.Pipeline.Synthetic;

/// <summary>What the demo made: the report, the table, the folders, and whether a fine-tuned student took part.</summary>
public sealed record SyntheticDemoResult(string ReportPath, string Table, string CorpusDirectory, string RaftDataPath, string? StudentPath, EvalRun Run);

public static class SyntheticDemo
{
    public const string Explanation =
        "This is a self-contained demonstration: the documents describe fictional devices invented by a seeded generator, so no "
        + "model can know their facts in advance. The generator also writes the RAFT training data (it knows every fact, so it "
        + "stands in for a teacher LLM), and a tiny student model is trained from random weights on this machine. Test questions "
        + "are about devices that appear in no training example: a high score means the student learned to find and copy the "
        + "answer from retrieved documents, not that it knows anything. The numbers measure this toy world only; they say "
        + "nothing about real models or real documents.";

    public static async Task<SyntheticDemoResult> RunAsync(SyntheticDemoOptions options, IStudentTrainer? trainer,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string root = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(root);
        var worldOptions = options.Fast
            ? new SyntheticWorldOptions { Entities = 60, AttributesPerEntity = 3, ValuesPerAttribute = 12, Seed = options.Seed }
            : new SyntheticWorldOptions { Entities = 600, AttributesPerEntity = 3, ValuesPerAttribute = 24, Seed = options.Seed };
        var student = options.Fast
            ? new StudentModelOptions { HiddenSize = 32, Layers = 1, Heads = 4, KeyValueHeads = 2, IntermediateSize = 64 }
            : new StudentModelOptions { HiddenSize = 128, Layers = 2, IntermediateSize = 256 };
        var world = SyntheticWorld.Generate(worldOptions);

        // 1. The corpus, as files a user can open.
        string corpus = Path.Combine(root, "documents");
        Directory.CreateDirectory(corpus);
        foreach (var d in world.Documents)
            await File.WriteAllTextAsync(Path.Combine(corpus, d.Id + ".txt"), d.Text + "\n", new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        progress?.Report($"corpus: {world.Documents.Count} documents about {worldOptions.Entities} fictional devices → {corpus}");

        // 2. The knowledge base: BM25 over every document (train and test), as RAG at answer time.
        var index = new Bm25Index();
        foreach (var d in world.Documents) index.Add(d.Id, d.Text);
        IReadOnlyList<RetrievedDocument> Retrieve(string question) =>
            index.Search(question, options.TopK).Select(h => new RetrievedDocument(h.Id, world.DocumentsById[h.Id].Text, null, h.Score)).ToList();
        progress?.Report($"knowledge base: BM25 over {index.Count} documents");

        // 3. RAFT data (oracle + distractors at P = 0.8, chain-of-thought answers that quote the document).
        var raft = new SyntheticRaftOptions { Distractors = options.TopK - 1, Seed = options.Seed, ExamplesPerFact = options.Fast ? 1 : 2 };
        string raftData = Path.Combine(root, "raft", "chat_train.jsonl");
        RaftExporter.WriteChatJsonl(raftData, SyntheticRaftData.Build(world, RaftRegime.RaftCot, raft));
        progress?.Report($"RAFT data: {world.FactsIn("train").Count() * raft.ExamplesPerFact} examples → {raftData}");

        // 4. The student: untrained base, then fine-tuned (reused when a previous run finished it).
        string baseModel = Path.Combine(root, "student-base");
        if (!File.Exists(Path.Combine(baseModel, "model.safetensors")))
            StudentModel.CreateBase(baseModel, SyntheticRaftData.Corpus(world), student);
        string? tuned = null;
        string marker = Path.Combine(root, "student", SyntheticBenchmark.DoneMarker);
        if (File.Exists(marker))
        {
            tuned = (await File.ReadAllTextAsync(marker, cancellationToken).ConfigureAwait(false)).Trim();
            progress?.Report($"student: reusing {tuned}");
        }
        else if (trainer is not null)
        {
            int steps = options.Fast ? 20 : 2500;
            var stages = new List<TrainingStage> { new(raftData, steps) };
            progress?.Report($"student: full fine-tuning from random weights, {steps} steps");
            tuned = await trainer.TrainAsync(new StudentTrainingJob(baseModel, stages, Path.Combine(root, "student"), 1e-3f, options.Fast ? 4 : 16, 384, options.Seed),
                progress, cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            await File.WriteAllTextAsync(marker, tuned + "\n", cancellationToken).ConfigureAwait(false);
        }
        else
            progress?.Report("student: no trainer in this build, so only the untrained student is compared");

        // 5. Base vs RAG vs fine-tuned on unseen devices.
        var items = SyntheticRaftData.EvalItems(world, 0, options.Seed, "test", options.Fast ? 12 : 150);
        var baseGen = TextGenerator.Load(baseModel);
        var systems = new List<IEvalSystem>
        {
            new StudentSystem("base student (untrained), closed-book", baseGen, StudentContext.ClosedBook, maxTokens: 8),
            new StudentSystem("base student + RAG (BM25)", baseGen, StudentContext.Retrieved, Retrieve, maxTokens: 8),
        };
        if (tuned is not null)
        {
            var tunedGen = TextGenerator.Load(tuned);
            systems.Add(new StudentSystem("RAFT student, closed-book", tunedGen, StudentContext.ClosedBook, maxTokens: 48));
            systems.Add(new StudentSystem("RAFT student + RAG (BM25)", tunedGen, StudentContext.Retrieved, Retrieve, maxTokens: 48));
        }
        var run = await new EvaluationRunner(new EvaluationRunnerOptions
        {
            MaxConcurrency = Math.Max(1, Math.Min(Environment.ProcessorCount, systems.Count)),
            ResultsPath = Path.Combine(root, "results.jsonl"),
            Title = "RagTune demo (synthetic world)",
        }).RunAsync(items, systems, cancellationToken).ConfigureAwait(false);
        string report = Path.Combine(root, "report.html");
        await HtmlReport.WriteAsync(run, report, new HtmlReportOptions { Note = Explanation }, cancellationToken).ConfigureAwait(false);
        string table = TextTableReport.Render(run, ["em", "f1", "retrieval_recall"]);
        return new SyntheticDemoResult(report, table, corpus, raftData, tuned, run);
    }
}
