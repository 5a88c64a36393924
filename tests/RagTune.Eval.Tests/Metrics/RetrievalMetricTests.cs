// Per-item retrieval recall/MRR/nDCG/MAP worked out by hand: oracle matching by id, by whitespace-free text and by the system's
// flag, repeats of one oracle counted once, repeats of a non-oracle id still taking their ranks.
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;
using RagTune.Eval.Systems;

namespace RagTune.Eval.Tests.Metrics;

public sealed class RetrievalMetricTests
{
    private static RetrievedDocument Doc(string id, string text = "", bool? oracle = null) => new(id, text, oracle);

    [Fact]
    public void Recall_counts_distinct_oracles_and_mrr_uses_the_first_rank()
    {
        var item = new EvalItem("q1", "question?", ["a"], oracleIds: ["o1", "o2", "o3"]);
        // Ranks: x(1) o2(2) y(3) o1(4) o2 again(5): two of three oracles, the first at rank 2.
        var (recall, mrr, _, _) = AnswerScorer.Retrieval(item, [Doc("x"), Doc("o2"), Doc("y"), Doc("o1"), Doc("o2")]);
        Assert.Equal(2.0 / 3, recall, 12);
        Assert.Equal(0.5, mrr, 12);
    }

    [Fact]
    public void Ndcg_and_map_rank_the_same_list()
    {
        var item = new EvalItem("q1", "question?", ["a"], oracleIds: ["o1", "o2", "o3"]);
        // Relevant at ranks 2 and 4 of x o2 y o1 (the repeated o2 takes no rank), 3 relevant in all.
        var (_, _, ndcg, map) = AnswerScorer.Retrieval(item, [Doc("x"), Doc("o2"), Doc("y"), Doc("o1"), Doc("o2")]);
        double dcg = 1 / Math.Log2(3) + 1 / Math.Log2(5), ideal = 1 + 1 / Math.Log2(3) + 1 / Math.Log2(4);
        Assert.Equal(dcg / ideal, ndcg, 12);
        Assert.Equal((1.0 / 2 + 2.0 / 4) / 3, map, 12);

        // Every oracle first: both are 1.
        (_, _, ndcg, map) = AnswerScorer.Retrieval(item, [Doc("o3"), Doc("o1"), Doc("o2"), Doc("x")]);
        Assert.Equal((1.0, 1.0), (ndcg, map));
    }

    [Fact]
    public void A_repeated_non_oracle_id_keeps_its_rank()
    {
        var item = new EvalItem("q1", "question?", ["a"], oracleIds: ["o1"]);
        var (recall, mrr, _, _) = AnswerScorer.Retrieval(item, [Doc("x"), Doc("x"), Doc("o1")]);
        Assert.Equal(1.0, recall);
        Assert.Equal(1.0 / 3, mrr, 12);
    }

    [Fact]
    public void An_oracle_is_recognised_by_its_text_or_by_the_systems_flag()
    {
        var item = new EvalItem("q1", "question?", ["a"],
            [new EvalDocument("d1", "The answer\nis here.", IsOracle: true), new EvalDocument("d2", "A distractor.")]);
        // Another id, same text but for whitespace: it is d1.
        var (recall, mrr, _, _) = AnswerScorer.Retrieval(item, [Doc("kb-7", "A distractor."), Doc("kb-9", "The answer is   here.")]);
        Assert.Equal((1.0, 0.5), (recall, mrr));

        // A flag for a document outside the item's oracle ids adds it to the oracles: 2 found of 2, never above 1.
        (recall, mrr, _, _) = AnswerScorer.Retrieval(item, [Doc("kb-1", "other", oracle: true), Doc("d1", "x")]);
        Assert.Equal((1.0, 1.0), (recall, mrr));
        (recall, mrr, _, _) = AnswerScorer.Retrieval(item, [Doc("kb-2", "other"), Doc("kb-1", "other", oracle: true)]);
        Assert.Equal((0.5, 0.5), (recall, mrr));
    }

    [Fact]
    public void Nothing_found_scores_zero()
    {
        var item = new EvalItem("q1", "question?", ["a"], oracleIds: ["o1", "o2"]);
        Assert.Equal((0.0, 0.0, 0.0, 0.0), AnswerScorer.Retrieval(item, [Doc("x"), Doc("y")]));
        Assert.Equal((0.0, 0.0, 0.0, 0.0), AnswerScorer.Retrieval(item, []));
    }
}
