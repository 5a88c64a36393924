// Encoders under any head class: a checkpoint saved from BertForTokenClassification, XLMRobertaForMaskedLM, … holds the
// encoder under "bert."/"roberta." next to its head; the engine loads the encoder, ignores the head, and embeds exactly
// as the headless fixture does.
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class EncoderHeadTests
{
    [Theory]
    [InlineData("bert-tiny-cls", "BertForTokenClassification", "bert.")]
    [InlineData("bert-tiny-cls", "BertForSequenceClassification", "bert.")]
    [InlineData("bert-tiny-cls", "BertForMaskedLM", "bert.")]
    [InlineData("bert-tiny-cls", "BertForPreTraining", "bert.")]
    [InlineData("bert-tiny-cls", "BertModel", "")]
    [InlineData("xlmr-tiny-mean", "XLMRobertaForSequenceClassification", "roberta.")]
    [InlineData("xlmr-tiny-mean", "XLMRobertaForTokenClassification", "roberta.")]
    [InlineData("xlmr-tiny-mean", "XLMRobertaForMaskedLM", "roberta.")]
    [InlineData("xlmr-tiny-mean", "RobertaForSequenceClassification", "roberta.")]
    public void A_checkpoint_under_a_head_class_embeds_like_the_bare_encoder(string fixture, string architecture, string prefix)
    {
        string dir = WithHead(fixture, architecture, prefix);
        try
        {
            using var encoder = BertEncoder.Load(dir);
            Assert.Equal(architecture, encoder.Config.Architecture);
            Assert.Equal(prefix, encoder.Prefix);
            var golden = Fixtures.Golden(fixture);
            var ids = golden.GetProperty("input_ids").EnumerateArray().Select(e => e.Ints()).ToArray();
            var expected = golden.GetProperty("embeddings").EnumerateArray().Select(e => e.Floats()).ToArray();
            for (int b = 0; b < ids.Length; b++)
                Kernels.KernelAgreementTests.AssertClose(expected[b], encoder.Embed(ids[b]), 1e-5f);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("BertForTokenClassification", "Bert", "ForTokenClassification", false)]
    [InlineData("XLMRobertaForMaskedLM", "XLMRoberta", "ForMaskedLM", true)]
    [InlineData("RobertaModel", "Roberta", "Model", true)]
    public void The_family_and_head_come_from_the_architecture_name(string architecture, string family, string head, bool roberta)
    {
        string dir = WithHead("xlmr-tiny-mean", architecture, "");
        try
        {
            var config = (BertConfig)ModelConfig.Load(dir);
            Assert.Equal(family, config.Family);
            Assert.Equal(head, config.Head);
            Assert.Equal(roberta, config.IsRoberta);
            Assert.Equal(roberta ? 1 : 0, config.PositionOffset); // the fixture's pad_token_id is 0
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Model_type_roberta_without_architectures_loads_as_RobertaModel()
    {
        string dir = Fixtures.CopyToTemp("xlmr-tiny-mean");
        try
        {
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
            config.Remove("architectures");
            config["model_type"] = "roberta";
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
            Assert.Equal("RobertaModel", ModelConfig.Load(dir).Architecture);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Labels_count_from_id2label_then_num_labels_then_two()
    {
        string dir = WithHead("bert-tiny-cls", "BertForSequenceClassification", "bert.");
        try
        {
            string path = Path.Combine(dir, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            Assert.Equal(2, ((BertConfig)ModelConfig.Load(dir)).NumLabels);
            config["num_labels"] = 3;
            File.WriteAllText(path, config.ToJsonString());
            Assert.Equal(3, ((BertConfig)ModelConfig.Load(dir)).NumLabels);
            config["id2label"] = new JsonObject { ["0"] = "LABEL_0" };
            File.WriteAllText(path, config.ToJsonString());
            Assert.Equal(1, ((BertConfig)ModelConfig.Load(dir)).NumLabels);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>A copy of an encoder fixture relabelled as <paramref name="architecture"/>, its tensors renamed under
    /// <paramref name="prefix"/> and joined by head tensors the encoder must ignore (a classifier, an MLM head).</summary>
    internal static string WithHead(string fixture, string architecture, string prefix)
    {
        string dir = Fixtures.CopyToTemp(fixture);
        string path = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config["architectures"] = new JsonArray(architecture);
        File.WriteAllText(path, config.ToJsonString());
        var entries = new List<SafeTensorEntry>();
        using (var source = Checkpoint.Open(Fixtures.Dir(fixture)))
        {
            string from = BertEncoder.CheckpointPrefix(source);
            foreach (var t in source.Tensors)
                entries.Add(new SafeTensorEntry(prefix + t.Name[from.Length..], t.DType, t.Shape, source.GetBytes(t.Name).ToArray()));
        }
        int c = config["hidden_size"]!.GetValue<int>(), v = config["vocab_size"]!.GetValue<int>();
        entries.Add(SafeTensorEntry.FromFloat32("classifier.weight", new float[5 * c], 5, c));
        entries.Add(SafeTensorEntry.FromFloat32("classifier.bias", new float[5], 5));
        entries.Add(SafeTensorEntry.FromFloat32("lm_head.bias", new float[v], v));
        entries.Add(SafeTensorEntry.FromFloat32("cls.predictions.transform.dense.weight", new float[c * c], c, c));
        SafeTensorWriter.Write(Path.Combine(dir, Checkpoint.SingleFileName), entries);
        return dir;
    }
}
