// The names under which per-item metrics are stored and aggregated (keys in results JSON; docs/metrics.md defines each).
namespace RagTune.Eval.Metrics;

public static class MetricNames
{
    /// <summary>CMRC 2018 EM when a reference contains CJK characters, else SQuAD EM.</summary>
    public const string ExactMatch = "em";
    /// <summary>CMRC 2018 F1 when a reference contains CJK characters, else SQuAD F1.</summary>
    public const string F1 = "f1";
    public const string SquadExactMatch = "squad_em";
    public const string SquadF1 = "squad_f1";
    public const string CmrcExactMatch = "cmrc_em";
    public const string CmrcF1 = "cmrc_f1";
    public const string RougeL = "rouge_l";
    public const string Contains = "contains";
    public const string ContainsLcs = "contains_lcs";
    public const string CitationSupport = "citation_support";
    public const string SemanticSimilarity = "semantic_sim";
    public const string JudgeFaithfulness = "judge_faithfulness";
    public const string JudgeRelevance = "judge_relevance";
    public const string RetrievalRecall = "retrieval_recall";
    public const string RetrievalMrr = "retrieval_mrr";
    public const string RetrievalNdcg = "retrieval_ndcg";
    public const string RetrievalMap = "retrieval_map";

    /// <summary>The retrieval measures, shown together (their own section of the HTML report).</summary>
    public static readonly IReadOnlyList<string> Retrieval = [RetrievalRecall, RetrievalMrr, RetrievalNdcg, RetrievalMap];

    /// <summary>Display order in tables and charts; other names follow alphabetically.</summary>
    public static readonly IReadOnlyList<string> Order =
    [
        ExactMatch, F1, SquadExactMatch, SquadF1, CmrcExactMatch, CmrcF1, RougeL, Contains, ContainsLcs, CitationSupport,
        SemanticSimilarity, JudgeFaithfulness, JudgeRelevance, RetrievalRecall, RetrievalMrr, RetrievalNdcg, RetrievalMap,
    ];

    /// <summary>Judge scores are on 1–5; everything else on 0–1.</summary>
    public static double MaxValue(string name) => name is JudgeFaithfulness or JudgeRelevance ? 5 : 1;
}
