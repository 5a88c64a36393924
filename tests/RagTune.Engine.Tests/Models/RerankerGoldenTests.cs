// Rerankers against PyTorch (tools/reference/make_tiny_rerankers.py): the cross-encoders' pair ids, token types, logits
// and sigmoid scores (BERT and XLM-R heads), and the Qwen3-Reranker-style decoder's prompt ids, yes/no logits and scores.
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class RerankerGoldenTests
{
    [Theory]
    [InlineData("bert-tiny-reranker")]
    [InlineData("xlmr-tiny-reranker")]
    [InlineData("xlmr-unigram-reranker")]
    public void Cross_encoder_pairs_and_scores_match_pytorch(string name)
    {
        var golden = Fixtures.Golden(name);
        using var reranker = BertCrossEncoder.Load(Fixtures.Dir(name));
        var pairs = golden.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();
        var ids = golden.GetProperty("input_ids").EnumerateArray().Select(e => e.Ints()).ToArray();
        var types = golden.GetProperty("token_type_ids").EnumerateArray().Select(e => e.Ints()).ToArray();
        float[] logits = golden.GetProperty("logits").Floats(), scores = golden.GetProperty("scores").Floats();
        for (int i = 0; i < pairs.Length; i++)
        {
            var (q, p) = pairs[i];
            var (gotIds, gotTypes) = reranker.Tokenize(q, p);
            Assert.Equal(ids[i], gotIds);
            Assert.Equal(types[i], gotTypes);
            Assert.Equal(logits[i], reranker.Logit(q, p), 1e-5f);
            Assert.Equal(scores[i], reranker.Score(q, p), 1e-6f);
        }
        Assert.True(scores.Distinct().Count() == scores.Length, "the fixture's scores must order the pairs");
    }

    [Fact]
    public void Decoder_reranker_prompt_and_scores_match_pytorch()
    {
        var golden = Fixtures.Golden("qwen3-tiny-reranker");
        var pairs = golden.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();
        var instructions = golden.GetProperty("instructions").EnumerateArray().Select(e => e.GetString()).ToArray();
        var ids = golden.GetProperty("input_ids").EnumerateArray().Select(e => e.Ints()).ToArray();
        float[] yes = golden.GetProperty("yes_logits").Floats(), no = golden.GetProperty("no_logits").Floats();
        float[] scores = golden.GetProperty("scores").Floats();
        for (int i = 0; i < pairs.Length; i++)
        {
            using var reranker = DecoderReranker.Load(Fixtures.Dir("qwen3-tiny-reranker"), instructions[i]);
            Assert.Equal(golden.GetProperty("yes_id").GetInt32(), reranker.YesId);
            Assert.Equal(golden.GetProperty("no_id").GetInt32(), reranker.NoId);
            var (q, p) = pairs[i];
            Assert.Equal(ids[i], reranker.Tokenize(q, p));
            var (gotYes, gotNo) = reranker.AnswerLogits(q, p);
            Assert.Equal(yes[i], gotYes, 1e-4f);
            Assert.Equal(no[i], gotNo, 1e-4f);
            Assert.Equal(scores[i], reranker.Score(q, p), 1e-5f);
        }
    }

    [Theory]
    [InlineData("bert-tiny-reranker", typeof(BertCrossEncoder))]
    [InlineData("xlmr-tiny-reranker", typeof(BertCrossEncoder))]
    [InlineData("xlmr-unigram-reranker", typeof(BertCrossEncoder))]
    [InlineData("qwen3-tiny-reranker", typeof(DecoderReranker))]
    public void RerankerModels_picks_the_kind_from_config_json(string name, Type kind)
    {
        using var model = RerankerModels.Load(Fixtures.Dir(name));
        Assert.IsType(kind, model);
        Assert.Equal(Fixtures.Dir(name), model.Directory);
    }

    [Fact]
    public void A_cross_encoder_with_two_labels_is_refused_naming_the_field()
    {
        string dir = Fixtures.CopyToTemp("bert-tiny-reranker");
        try
        {
            string path = Path.Combine(dir, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            config["id2label"] = new JsonObject { ["0"] = "irrelevant", ["1"] = "relevant" };
            File.WriteAllText(path, config.ToJsonString());
            var e = Assert.Throws<EngineException>(() => RerankerModels.Load(dir));
            Assert.Contains(path, e.Message);
            Assert.Contains("num_labels", e.Message);
            Assert.Contains("2 labels, expected 1", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("bert-tiny-cls", "BertModel")]
    [InlineData("xlmr-tiny-mean", "XLMRobertaModel")]
    public void An_embedding_model_is_not_a_reranker(string name, string architecture)
    {
        var e = Assert.Throws<EngineException>(() => RerankerModels.Load(Fixtures.Dir(name)));
        Assert.Contains(Path.Combine(Fixtures.Dir(name), "config.json"), e.Message);
        Assert.Contains($"\"architectures\" is [\"{architecture}\"]", e.Message);
        Assert.Contains("ForSequenceClassification", e.Message);
    }

    [Fact]
    public void A_decoder_without_yes_and_no_tokens_is_refused_naming_the_token()
    {
        string dir = Fixtures.Dir("qwen2-tiny");
        Assert.Null(RagTune.Engine.Tokenizers.Tokenizer.Load(dir).TokenToId("yes"));
        var e = Assert.Throws<EngineException>(() => RerankerModels.Load(dir));
        Assert.Contains(dir, e.Message);
        Assert.Contains("no token \"yes\"", e.Message);
    }

    [Fact]
    public void A_cross_encoder_without_its_classifier_is_refused_naming_the_tensor()
    {
        string dir = EncoderHeadTests.WithHead("bert-tiny-cls", "BertForSequenceClassification", "bert.");
        try
        {
            string path = Path.Combine(dir, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            config["num_labels"] = 1;
            File.WriteAllText(path, config.ToJsonString());
            // WithHead's classifier has 5 outputs: the shape check names it.
            var e = Assert.Throws<EngineException>(() => BertCrossEncoder.Load(dir));
            Assert.Contains("'classifier.weight' has shape [5, 32], expected [1, 32]", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData(3, 4, 10, 3, 4)]    // fits: untouched
    [InlineData(3, 20, 10, 3, 7)]   // only the longer one is cut
    [InlineData(20, 3, 10, 7, 3)]   // the same with the query longer
    [InlineData(8, 9, 10, 5, 5)]    // both cut: half each
    [InlineData(9, 8, 11, 6, 5)]    // odd budget: the longer (first) gets the extra token
    [InlineData(8, 9, 11, 5, 6)]
    [InlineData(30, 30, 7, 3, 4)]   // equal lengths: the second gets the extra token
    public void Pair_truncation_is_hugging_face_longest_first(int a, int b, int budget, int keptA, int keptB)
    {
        int[] first = Enumerable.Range(0, a).ToArray(), second = Enumerable.Range(100, b).ToArray();
        var (x, y) = BertCrossEncoder.TruncateLongestFirst(first, second, budget);
        Assert.Equal(first[..keptA], x);
        Assert.Equal(second[..keptB], y);
    }

    [Fact]
    public void An_over_long_passage_is_cut_to_the_positions_and_keeps_the_final_separator()
    {
        using var reranker = BertCrossEncoder.Load(Fixtures.Dir("bert-tiny-reranker"));
        string passage = string.Join(' ', Enumerable.Repeat("the quick brown fox", 40));
        var (ids, types) = reranker.Tokenize("hello world", passage);
        Assert.Equal(reranker.Config.MaxTokens, ids.Length);
        Assert.Equal(ids.Length, types.Length);
        Assert.Equal(reranker.Tokenizer.SuffixIds[0], ids[^1]);
        Assert.InRange(reranker.Score("hello world", passage), 0f, 1f);
    }
}
