// Approval tests: the tensor names and shapes each architecture expects, for the fixtures' small configs, against the
// committed lists in TestData/models/approved/ (no weights needed). On a difference the actual list is written next to
// the test binary as <name>.received.txt; review it and copy it over the approved file if the change is intended.
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class ExpectedTensorsApprovalTests
{
    public static TheoryData<string> All => new(Fixtures.Decoders.Concat(Fixtures.Encoders));

    [Theory]
    [MemberData(nameof(All))]
    public void Expected_tensors_match_the_approved_list(string name)
    {
        var config = ModelConfig.Load(Fixtures.Dir(name));
        string received = string.Join("\n", config.ExpectedTensors()) + "\n";
        string approvedPath = Path.Combine(Fixtures.Dir("approved"), name + ".txt");
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath) : "";
        if (approved != received)
        {
            string receivedPath = Path.Combine(AppContext.BaseDirectory, name + ".received.txt");
            File.WriteAllText(receivedPath, received);
            Assert.Fail($"{config.Architecture} expected tensors differ from {approvedPath}; actual list in {receivedPath}");
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Fixture_checkpoints_hold_exactly_the_expected_tensors(string name)
    {
        var config = ModelConfig.Load(Fixtures.Dir(name));
        using var checkpoint = Checkpoint.Open(Fixtures.Dir(name));
        string prefix = checkpoint.Contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        var expected = config.ExpectedTensors().Select(t => prefix + t).ToHashSet();
        // The BERT pooler (pooler.dense) is optional: sentence-transformers never uses it.
        var actual = checkpoint.Tensors.Where(t => !t.Name.Contains("pooler.")).Select(t => $"{t.Name} [{string.Join(", ", t.Shape)}]");
        Assert.Equal(expected.Order(), actual.Order());
    }
}
