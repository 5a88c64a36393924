// `ragtune run pipeline.yaml`: documents → knowledge base → RAFT data (teacher) → fine-tune (student) → evaluate → report.
// Each stage hashes its inputs (settings + upstream stamps + content hashes), skips itself when its stamp matches, and
// otherwise resumes from its own partial outputs (KB ingestion commits, the RAFT journal, trainer checkpoints, the eval
// results log) unless those were made for other inputs, in which case they are discarded first.
using RagTune.Knowledge.Rag;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using RagTune.Engine.AI;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Eval;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Reports;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Summaries;
using RagTune.Raft.Clients;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;
using RagTune.Raft.Teachers;

namespace RagTune.Pipeline;

public sealed class PipelineRunner(PipelineDefinition pipeline, PipelineRunnerOptions? options = null)
{
    public const string KnowledgeBaseStageName = "knowledge_base";
    public const string RaftStageName = "raft";
    public const string TrainStageName = "train";
    public const string EvaluateStageName = "evaluate";

    private readonly PipelineRunnerOptions _options = options ?? new();
    private readonly string _work = pipeline.WorkDir;
    private readonly Dictionary<string, StageOutcome> _outcomes = [];

    public string KnowledgeBaseDirectory => Path.Combine(_work, "kb");
    public string RaftDataDirectory => Path.Combine(_work, "raft", "data");
    public string TrainDirectory => Path.Combine(_work, "train");
    public string ReportPath => Path.Combine(_work, "report", "report.html");

    public async Task<PipelineResult> RunAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_work);
        string kbHash = await KnowledgeBaseAsync(cancellationToken).ConfigureAwait(false);
        await using var kb = await KnowledgeBase.OpenAsync(KnowledgeBaseDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
        string raftHash = await RaftAsync(kb, kbHash, cancellationToken).ConfigureAwait(false);
        (string trainHash, string tuned) = await TrainAsync(raftHash, cancellationToken).ConfigureAwait(false);
        string table = await EvaluateAsync(kb, kbHash, raftHash, trainHash, tuned, cancellationToken).ConfigureAwait(false);
        return new PipelineResult(_outcomes, ReportPath, Path.Combine(_work, "report", "report.json"), table);
    }

    private void Say(string line) => _options.Progress?.Report(line);

    private static string Settings(object o) => JsonSerializer.Serialize(o, o.GetType());

    private bool Skip(string stage, StageStamp stamp, string hash, bool outputsPresent)
    {
        if (!stamp.IsCurrent(hash) || !outputsPresent) return false;
        _outcomes[stage] = StageOutcome.Skipped;
        Say($"{stage}: up to date, skipped");
        return true;
    }

    private async Task<string> KnowledgeBaseAsync(CancellationToken ct)
    {
        var s = pipeline.KnowledgeBase;
        // Summaries are the teacher's: another teacher makes another knowledge base.
        string hash = StageStamp.Hash(KnowledgeBaseStageName, Settings(s), StageStamp.HashFolder(pipeline.Documents), s.DocRoute == "summary" ? TeacherIdentity() : "");
        var stamp = new StageStamp(_work, KnowledgeBaseStageName);
        if (Skip(KnowledgeBaseStageName, stamp, hash, Directory.Exists(KnowledgeBaseDirectory))) return hash;
        // A KB built from other documents or settings is rebuilt: ingestion adds and updates but never forgets a removed file.
        if (stamp.Begin(hash) && Directory.Exists(KnowledgeBaseDirectory)) Directory.Delete(KnowledgeBaseDirectory, true);
        var kbOptions = new KnowledgeBaseOptions
        {
            Chunking = new HierarchicalChunkingOptions { Levels = s.ChunkLevels, OverlapTokens = s.OverlapTokens },
            TokenizerPath = s.Tokenizer,
            Reranker = s.Reranker is null ? null : new RerankerSettings { ModelDirectory = s.Reranker },
            DocumentRoute = s.DocRoute switch
            {
                "first_chunk" => new DocumentRouteSettings { Kind = DocumentRouteKind.FirstChunk },
                "summary" => new DocumentRouteSettings { Kind = DocumentRouteKind.Summary },
                _ => null,
            },
        };
        using var summaryTeacher = s.DocRoute == "summary" && _options.Teacher is null
            ? OpenAICompatibleChatClient.Create(pipeline.Raft.Teacher.Model, new Uri(pipeline.Raft.Teacher.Endpoint), TeacherKey()).AsBuilder().UseResilience().Build()
            : null;
        var open = new KnowledgeBaseOpenOptions
        {
            Summarizer = s.DocRoute == "summary" ? new ChatClientDocumentSummarizer(_options.Teacher ?? summaryTeacher!) : null,
        };
        await using (var kb = Directory.Exists(KnowledgeBaseDirectory)
            ? await KnowledgeBase.OpenAsync(KnowledgeBaseDirectory, open, ct).ConfigureAwait(false)
            : await KnowledgeBase.CreateAsync(KnowledgeBaseDirectory, kbOptions, open, ct).ConfigureAwait(false))
        {
            var summary = await kb.AddFolderAsync(pipeline.Documents, options: null, progress: null, ct).ConfigureAwait(false);
            Say($"{KnowledgeBaseStageName}: {summary.DocumentsIndexed} documents indexed into {summary.ChunksWritten} chunks ({summary.Added.Count} files added, {summary.Updated.Count} updated, {summary.Removed.Count} removed, {summary.Unchanged} unchanged, {summary.Skipped.Count} skipped)");
            // A document that cannot be read is named rather than silently left out of the RAFT data.
            foreach (var issue in summary.Failed)
                Say($"{KnowledgeBaseStageName}: could not index {issue.Path}: {issue.Reason}");
        }
        stamp.Complete(hash);
        _outcomes[KnowledgeBaseStageName] = StageOutcome.Ran;
        return hash;
    }

    private string TeacherIdentity() => _options.Teacher is not null
        ? "injected:" + _options.TeacherName
        : pipeline.Raft.Teacher.Endpoint + "|" + pipeline.Raft.Teacher.Model;

    private async Task<string> RaftAsync(KnowledgeBase kb, string kbHash, CancellationToken ct)
    {
        var s = pipeline.Raft;
        string hash = StageStamp.Hash(RaftStageName, Settings(s), TeacherIdentity(), kbHash);
        var stamp = new StageStamp(_work, RaftStageName);
        string evalPath = Path.Combine(RaftDataDirectory, "eval_test.jsonl");
        if (Skip(RaftStageName, stamp, hash, File.Exists(Path.Combine(RaftDataDirectory, "chat_train.jsonl")) && File.Exists(evalPath))) return hash;
        stamp.Begin(hash);
        var chunks = await new KnowledgeBaseChunkSource(kb).LoadChunksAsync(ct).ConfigureAwait(false);
        var generator = new RaftGenerator(CreateTeacher(), new RaftOptions
        {
            QuestionsPerChunk = s.QuestionsPerChunk,
            Distractors = s.Distractors,
            OracleProbability = s.OracleProbability,
            TestFraction = s.TestFraction,
            Seed = s.Seed,
            // One knob for the endpoint's load: chunks in flight as well as requests in flight.
            ChunkConcurrency = s.Teacher.Concurrency,
        });
        // Force: the generator's own settings hash decides between resuming its journal and starting it over.
        string runDir = Path.Combine(_work, "raft", "run");
        var result = await generator.RunAsync(chunks, runDir, new RaftRunOptions { Force = true }, ct).ConfigureAwait(false);
        if (result.StopReason != RaftStopReason.Completed)
            throw new EvalException($"raft: generation stopped ({result.StopReason}) after {result.ChunksDone}/{result.ChunksTotal} chunks");
        if (Directory.Exists(RaftDataDirectory)) Directory.Delete(RaftDataDirectory, true);
        var export = await RaftExporter.ExportAsync(runDir, RaftDataDirectory, new RaftExportOptions { Formats = RaftExportFormats.Chat | RaftExportFormats.Eval }, ct).ConfigureAwait(false);
        if (export.TrainExamples == 0 || export.TestExamples == 0)
            throw new EvalException($"raft: the teacher produced {export.TrainExamples} training and {export.TestExamples} test examples from {chunks.Count} chunks: expected some of each (more documents, or a higher raft.test_fraction)");
        Say($"{RaftStageName}: {result.Examples} examples from {result.ChunksTotal} chunks ({export.TrainExamples} train, {export.TestExamples} test)");
        stamp.Complete(hash);
        _outcomes[RaftStageName] = StageOutcome.Ran;
        return hash;
    }

    private ITeacher CreateTeacher()
    {
        if (_options.Teacher is not null) return new ChatClientTeacher(_options.Teacher, _options.TeacherName);
        var t = pipeline.Raft.Teacher;
        if (string.IsNullOrEmpty(t.Endpoint) || string.IsNullOrEmpty(t.Model))
            throw new EvalException("pipeline: fields 'raft.teacher.endpoint' and 'raft.teacher.model' are required to generate RAFT data: expected e.g. http://localhost:11434/v1 and qwen2.5:7b");
        return OpenAITeacher.Create(new OpenAITeacherOptions { Endpoint = new Uri(t.Endpoint), ApiKey = TeacherKey(), Model = t.Model },
            new ResilienceOptions { MaxConcurrency = t.Concurrency });
    }

    // Local servers such as Ollama ignore the key, but the OpenAI client needs a non-empty one.
    private string TeacherKey() => Environment.GetEnvironmentVariable(pipeline.Raft.Teacher.ApiKeyEnv) is { Length: > 0 } k ? k : "unused";

    private async Task<(string Hash, string Model)> TrainAsync(string raftHash, CancellationToken ct)
    {
        var s = pipeline.Train;
        string hash = StageStamp.Hash(TrainStageName, Settings(s), raftHash, StageStamp.HashFolder(s.Student));
        var stamp = new StageStamp(_work, TrainStageName);
        string modelFile = Path.Combine(TrainDirectory, "model.txt");
        if (Skip(TrainStageName, stamp, hash, File.Exists(modelFile)))
            return (hash, (await File.ReadAllTextAsync(modelFile, ct).ConfigureAwait(false)).Trim());
        // Checkpoints from other settings or data must not be resumed.
        if (stamp.Begin(hash) && Directory.Exists(TrainDirectory)) Directory.Delete(TrainDirectory, true);
        var trainer = new SftTrainer(new SftTrainingOptions
        {
            ModelPath = s.Student,
            DataPath = Path.Combine(RaftDataDirectory, "chat_train.jsonl"),
            OutputDirectory = Path.Combine(TrainDirectory, "run"),
            FullFineTune = s.FullFineTune,
            Lora = new LoraOptions { Rank = s.LoraRank, Alpha = s.LoraAlpha },
            MaxSteps = s.Steps,
            BatchSize = s.BatchSize,
            LearningRate = s.LearningRate,
            MaxLength = s.MaxLength,
            TruncateDocuments = true,
            Seed = s.Seed,
            CheckpointEvery = s.CheckpointEvery,
            Resume = true,
        });
        // Reported inline (not posted), so a listener that cancels at step N stops training right after step N's checkpoint.
        var report = new InlineProgress<TrainingProgress>(p =>
        {
            if (p.Step % 10 == 0 || p.Step == p.TotalSteps)
                Say(string.Create(CultureInfo.InvariantCulture, $"{TrainStageName}: step {p.Step}/{p.TotalSteps} loss {p.Loss:F3}"));
        });
        var result = await trainer.RunAsync(report, ct).ConfigureAwait(false);
        string model = result.OutputPath;
        if (!s.FullFineTune)
        {
            // The evaluation loads plain checkpoints, so the adapter is folded into a copy of the student.
            model = Path.Combine(TrainDirectory, "merged");
            var decoder = DecoderModel.Load(s.Student);
            PeftAdapter.Load(result.OutputPath, decoder.LayerLinears).MergeInto(decoder.LayerLinears);
            HfCheckpointWriter.Save(model, decoder, s.Student);
        }
        RagPromptFormat.CarryOver(RaftDataDirectory, model);
        await File.WriteAllTextAsync(modelFile, model + "\n", ct).ConfigureAwait(false);
        Say($"{TrainStageName}: {result.Steps} steps, fine-tuned model → {model}");
        stamp.Complete(hash);
        _outcomes[TrainStageName] = StageOutcome.Ran;
        return (hash, model);
    }

    private async Task<string> EvaluateAsync(KnowledgeBase kb, string kbHash, string raftHash, string trainHash, string tuned, CancellationToken ct)
    {
        var s = pipeline.Evaluate;
        string teacher = s.Systems.Contains("teacher_rag") ? TeacherIdentity() : "";
        string hash = StageStamp.Hash(EvaluateStageName, Settings(s), kbHash, raftHash, trainHash, teacher);
        var stamp = new StageStamp(_work, EvaluateStageName);
        string dir = Path.GetDirectoryName(ReportPath)!;
        string jsonPath = Path.Combine(dir, "report.json");
        if (Skip(EvaluateStageName, stamp, hash, File.Exists(ReportPath) && File.Exists(jsonPath)))
            return Table(await JsonReport.ReadAsync(jsonPath, ct).ConfigureAwait(false));
        if (teacher.Length > 0 && _options.Teacher is null && (pipeline.Raft.Teacher.Endpoint.Length == 0 || pipeline.Raft.Teacher.Model.Length == 0))
            throw new EvalException("pipeline: evaluate.systems lists teacher_rag but 'raft.teacher.endpoint' or 'raft.teacher.model' is empty: expected the teacher's endpoint and model");
        string results = Path.Combine(dir, "results.jsonl");
        // The results log resumes an interrupted evaluation, but only one made for these inputs.
        if (stamp.Begin(hash) && File.Exists(results)) File.Delete(results);
        Directory.CreateDirectory(dir);

        string evalSet = Path.Combine(RaftDataDirectory, "eval_test.jsonl");
        var items = WithOracleChunks(await EvalSetReader.ReadAsync(evalSet, ct).ConfigureAwait(false),
            await new KnowledgeBaseChunkSource(kb).LoadChunksAsync(ct).ConfigureAwait(false));
        var format = EvalSetReader.ReadFormat(evalSet);
        var retriever = new KnowledgeBaseRetriever(kb);
        // With a reranker, retrieval is scored without and with it: each *_rag system gets a reranked twin.
        var reranked = kb.HasReranker ? new KnowledgeBaseRetriever(kb, rerank: true) : null;
        // With a document route, each *_rag system also gets a document-first twin.
        var hierarchical = kb.Options.DocumentRoute is null ? null
            : new KnowledgeBaseRetriever(kb, searchOptions: new KnowledgeSearchOptions { Hierarchical = true, Documents = pipeline.KnowledgeBase.HierarchicalDocuments });
        var chatOptions = new ChatOptions { Temperature = 0, MaxOutputTokens = s.MaxTokens };
        var clients = new List<IChatClient>();
        var systems = new List<IEvalSystem>();
        IChatClient? baseClient = null, tunedClient = null;
        foreach (var name in s.Systems)
        {
            IChatClient client = name switch
            {
                "base" or "base_rag" => baseClient ??= Track(LocalChatClient.Load(pipeline.Train.Student)),
                "tuned" or "tuned_rag" => tunedClient ??= Track(LocalChatClient.Load(tuned)),
                _ => _options.Teacher ?? Track(OpenAICompatibleChatClient.Create(pipeline.Raft.Teacher.Model, new Uri(pipeline.Raft.Teacher.Endpoint), TeacherKey())
                    .AsBuilder().UseResilience().Build()),
            };
            bool rag = name.EndsWith("_rag", StringComparison.Ordinal);
            systems.Add(new ChatClientSystem(client, SystemOptions(SystemLabel(name), rag ? retriever : null)));
            if (rag && reranked is not null)
                systems.Add(new ChatClientSystem(client, SystemOptions(SystemLabel(name) + " + rerank", reranked)));
            if (rag && hierarchical is not null)
                systems.Add(new ChatClientSystem(client, SystemOptions(SystemLabel(name) + " + hierarchical", hierarchical)));
        }
        LocalEmbeddingGenerator? embedder = null;
        try
        {
            embedder = s.EmbedModel is { } embedModel ? LocalEmbeddingGenerator.Load(embedModel, "semantic_sim") : null;
            var run = await new EvaluationRunner(new EvaluationRunnerOptions
            {
                MaxConcurrency = 1,
                ResultsPath = results,
                Seed = s.Seed,
                MaxItems = s.MaxItems,
                Similarity = embedder is null ? null : new SemanticSimilarity(embedder),
                Title = "RagTune pipeline evaluation",
                Format = format,
            }).RunAsync(items, systems, ct).ConfigureAwait(false);
            await HtmlReport.WriteAsync(run, ReportPath, new HtmlReportOptions { Format = format }, ct).ConfigureAwait(false);
            await JsonReport.WriteAsync(run, jsonPath, ct).ConfigureAwait(false);
            Say($"{EvaluateStageName}: {run.Results.Count} answers from × {systems.Count} systems → {ReportPath}");
            stamp.Complete(hash);
            _outcomes[EvaluateStageName] = StageOutcome.Ran;
            return Table(run);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            embedder?.Dispose();
        }

        ChatClientSystemOptions SystemOptions(string label, KnowledgeBaseRetriever? from) => new()
        {
            Name = label,
            Context = from is null ? ContextSource.None : ContextSource.Retriever,
            Retriever = from,
            TopK = s.TopK,
            Format = format,
            Seed = s.Seed,
            ChatOptions = chatOptions,
        };

        IChatClient Track(IChatClient c)
        {
            clients.Add(c);
            return c;
        }
    }

    /// <summary>The console table: EM, F1, semantic similarity when scored, and the retrieval measures.</summary>
    private static string Table(EvalRun run)
    {
        string[] columns = [MetricNames.ExactMatch, MetricNames.F1, MetricNames.SemanticSimilarity, .. MetricNames.Retrieval];
        return TextTableReport.Render(run, columns.Where(c => c is MetricNames.ExactMatch or MetricNames.F1 || run.Summaries.Any(x => x.Metrics.ContainsKey(c))).ToList());
    }

    /// <summary>RAFT's eval export carries the oracle chunk as text (gorilla's format has no ids); the pipeline generated the
    /// RAFT data from this knowledge base's chunks, so the chunks with that text are the oracle ids that retrieval
    /// (recall, MRR, nDCG, MAP of the *_rag systems) is scored against, and the item's document is marked as the oracle.</summary>
    internal static List<EvalItem> WithOracleChunks(IReadOnlyList<EvalItem> items, IReadOnlyList<RaftChunk> chunks)
    {
        var byText = chunks.GroupBy(c => CitationCheck.StripWhitespace(c.Text), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(c => c.Id).ToList(), StringComparer.Ordinal);
        return items.Select(it => it.Documents.Count == 1 && byText.TryGetValue(CitationCheck.StripWhitespace(it.Documents[0].Text), out var ids)
            ? new EvalItem(it.Id, it.Question, it.Answers, [new EvalDocument(ids[0], it.Documents[0].Text, IsOracle: true, it.Documents[0].Title)], ids)
            : it).ToList();
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static string SystemLabel(string name) => name switch
    {
        "base" => "base model, closed-book",
        "base_rag" => "base model + RAG",
        "tuned" => "fine-tuned, closed-book",
        "tuned_rag" => "fine-tuned + RAG",
        _ => "teacher + RAG",
    };
}
