// Reads and checks a pipeline.yaml: YamlDotNet into PipelineDefinition, then every field validated with an error that
// names the file, the field, what was found and what was expected.
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using RagTune.Eval;

namespace RagTune.Pipeline;

public static partial class PipelineFile
{
    public static readonly IReadOnlyList<string> KnownSystems = ["base", "base_rag", "tuned", "tuned_rag", "teacher_rag"];

    /// <summary>Parses and validates; relative paths become absolute against the file's folder.</summary>
    public static PipelineDefinition Load(string path)
    {
        if (!File.Exists(path))
            throw new EvalException($"pipeline file '{path}' does not exist: expected a YAML file (see docs/pipeline.md)");
        string text = File.ReadAllText(path);
        return Parse(text, path);
    }

    public static PipelineDefinition Parse(string yaml, string path)
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        PipelineDefinition? p;
        try
        {
            p = deserializer.Deserialize<PipelineDefinition>(yaml);
        }
        catch (YamlException e)
        {
            throw new EvalException(Describe(e, yaml, path), e);
        }
        if (p is null)
            throw new EvalException($"{path}: the file is empty: expected a pipeline with at least 'documents', 'raft.teacher' and 'train.student'");
        string root = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Validate(p, path, root);
        return p;
    }

    private static string Describe(YamlException e, string yaml, string path)
    {
        string where = string.Create(CultureInfo.InvariantCulture, $"{path}, line {e.Start.Line}");
        string inner = (e.InnerException ?? e).Message;
        var unknown = UnknownProperty().Match(e.Message);
        if (unknown.Success)
            return $"{where}: unknown field '{unknown.Groups[1].Value}': expected one of the fields listed in docs/pipeline.md";
        string[] lines = yaml.Split('\n');
        string line = e.Start.Line >= 1 && e.Start.Line <= lines.Length ? lines[(int)e.Start.Line - 1] : "";
        int colon = line.IndexOf(':', StringComparison.Ordinal);
        string field = colon > 0 ? line[..colon].Trim().TrimStart('-', ' ') : "?";
        string found = colon > 0 ? line[(colon + 1)..].Trim() : line.Trim();
        return $"{where}: field '{field}' is '{found}': expected {ExpectedFor(field)} ({inner})";
    }

    private static readonly Type[] SectionTypes =
        [typeof(PipelineDefinition), typeof(KnowledgeBaseStage), typeof(TeacherSettings), typeof(RaftStage), typeof(TrainStage), typeof(EvaluateStage)];

    /// <summary>What a field holds, in words, found by its snake_case name among the pipeline's settings classes.</summary>
    private static string ExpectedFor(string field)
    {
        var type = SectionTypes.SelectMany(t => t.GetProperties())
            .FirstOrDefault(p => UnderscoredNamingConvention.Instance.Apply(p.Name) == field)?.PropertyType;
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            null => "a value of the field's type (see docs/pipeline.md)",
            _ when type == typeof(int) || type == typeof(ulong) => "a whole number",
            _ when type == typeof(float) || type == typeof(double) => "a number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(string) => "text",
            _ when type == typeof(List<int>) => "a list of whole numbers, e.g. [1024, 256]",
            _ when type == typeof(List<string>) => "a list of names",
            _ => "a section of fields (see docs/pipeline.md)",
        };
    }

    private static void Validate(PipelineDefinition p, string path, string root)
    {
        void Fail(string field, string found, string expected) =>
            throw new EvalException($"{path}: field '{field}' is {found}: expected {expected}");
        if (string.IsNullOrWhiteSpace(p.Documents)) Fail("documents", "missing", "a folder of documents");
        p.Documents = Path.GetFullPath(p.Documents, root);
        if (!Directory.Exists(p.Documents)) Fail("documents", $"'{p.Documents}', which does not exist", "an existing folder of documents");
        p.WorkDir = Path.GetFullPath(string.IsNullOrWhiteSpace(p.WorkDir) ? ".ragtune-pipeline" : p.WorkDir, root);

        var kb = p.KnowledgeBase;
        if (kb.ChunkLevels.Count == 0 || kb.ChunkLevels.Any(l => l < 8)) Fail("knowledge_base.chunk_levels", $"[{string.Join(", ", kb.ChunkLevels)}]", "a list of chunk sizes of at least 8 tokens, largest first");
        if (kb.OverlapTokens < 0 || kb.OverlapTokens >= kb.ChunkLevels.Min()) Fail("knowledge_base.overlap_tokens", kb.OverlapTokens.ToString(CultureInfo.InvariantCulture), "0 or more and below the smallest chunk level");
        if (kb.Tokenizer is not null) kb.Tokenizer = Path.GetFullPath(kb.Tokenizer, root);
        if (kb.Reranker is not null)
        {
            kb.Reranker = Path.GetFullPath(kb.Reranker, root);
            if (!File.Exists(Path.Combine(kb.Reranker, "config.json"))) Fail("knowledge_base.reranker", kb.Reranker, "a reranker model folder with a config.json");
        }

        if (kb.DocRoute is { } route && route is not ("first_chunk" or "summary"))
            Fail("knowledge_base.doc_route", $"'{route}'", route == "mean"
                ? "first_chunk or summary (mean averages chunk vectors, and the pipeline's knowledge base is BM25 only)"
                : "first_chunk or summary");
        if (kb.HierarchicalDocuments < 1) Fail("knowledge_base.hierarchical_documents", kb.HierarchicalDocuments.ToString(CultureInfo.InvariantCulture), "1 or more");

        var r = p.Raft;
        if (r.QuestionsPerChunk < 1) Fail("raft.questions_per_chunk", r.QuestionsPerChunk.ToString(CultureInfo.InvariantCulture), "1 or more");
        if (r.Distractors < 0) Fail("raft.distractors", r.Distractors.ToString(CultureInfo.InvariantCulture), "0 or more");
        if (r.OracleProbability is < 0 or > 1) Fail("raft.oracle_probability", r.OracleProbability.ToString(CultureInfo.InvariantCulture), "a probability between 0 and 1");
        if (r.TestFraction is <= 0 or >= 1) Fail("raft.test_fraction", r.TestFraction.ToString(CultureInfo.InvariantCulture), "a fraction between 0 and 1 (exclusive)");
        if (!string.IsNullOrEmpty(r.Teacher.Endpoint) && !Uri.TryCreate(r.Teacher.Endpoint, UriKind.Absolute, out _))
            Fail("raft.teacher.endpoint", $"'{r.Teacher.Endpoint}'", "an absolute URL such as http://localhost:11434/v1");
        if (r.Teacher.Concurrency < 1) Fail("raft.teacher.concurrency", r.Teacher.Concurrency.ToString(CultureInfo.InvariantCulture), "1 or more");

        var t = p.Train;
        if (string.IsNullOrWhiteSpace(t.Student)) Fail("train.student", "missing", "a Hugging Face checkpoint folder");
        t.Student = Path.GetFullPath(t.Student, root);
        if (!File.Exists(Path.Combine(t.Student, "config.json"))) Fail("train.student", $"'{t.Student}', which holds no config.json", "a Hugging Face checkpoint folder");
        if (t.Steps < 1) Fail("train.steps", t.Steps.ToString(CultureInfo.InvariantCulture), "1 or more");
        if (t.BatchSize < 1) Fail("train.batch_size", t.BatchSize.ToString(CultureInfo.InvariantCulture), "1 or more");
        if (t.LoraRank < 1) Fail("train.lora_rank", t.LoraRank.ToString(CultureInfo.InvariantCulture), "1 or more");
        if (t.LearningRate <= 0) Fail("train.learning_rate", t.LearningRate.ToString(CultureInfo.InvariantCulture), "a positive number");
        if (t.MaxLength < 16) Fail("train.max_length", t.MaxLength.ToString(CultureInfo.InvariantCulture), "16 or more tokens");
        if (t.CheckpointEvery < 1) Fail("train.checkpoint_every", t.CheckpointEvery.ToString(CultureInfo.InvariantCulture), "1 or more");

        var e = p.Evaluate;
        if (e.Systems.Count == 0) Fail("evaluate.systems", "empty", $"one or more of {string.Join(", ", KnownSystems)}");
        foreach (var s in e.Systems.Where(s => !KnownSystems.Contains(s)))
            Fail("evaluate.systems", $"'{s}'", $"one of {string.Join(", ", KnownSystems)}");
        if (e.TopK < 1) Fail("evaluate.top_k", e.TopK.ToString(CultureInfo.InvariantCulture), "1 or more");
        if (e.MaxItems is < 1) Fail("evaluate.max_items", e.MaxItems.Value.ToString(CultureInfo.InvariantCulture), "1 or more (or leave it out for all)");
        if (e.MaxTokens < 1) Fail("evaluate.max_tokens", e.MaxTokens.ToString(CultureInfo.InvariantCulture), "1 or more");
        if (e.EmbedModel is not null)
        {
            e.EmbedModel = Path.GetFullPath(e.EmbedModel, root);
            if (!File.Exists(Path.Combine(e.EmbedModel, "config.json"))) Fail("evaluate.embed_model", $"'{e.EmbedModel}', which holds no config.json", "an embedding checkpoint folder (BERT / XLM-R)");
        }
    }

    [GeneratedRegex(@"Property '([^']+)' not found")]
    private static partial Regex UnknownProperty();
}
