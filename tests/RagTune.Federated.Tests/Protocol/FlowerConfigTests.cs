// FlowerConfig: typed reads of a round's config, with one error naming the round and key for a value of the wrong type.
using Google.Protobuf;
using RagTune.Federated.Flower;
using RagTune.Federated.Protocol;

namespace RagTune.Federated.Tests.Protocol;

public sealed class FlowerConfigTests
{
    private static FlowerConfig Config(params (string Key, Scalar Value)[] values) =>
        new(values.Select(v => KeyValuePair.Create(v.Key, v.Value)), "round 4: FitIns.config");

    [Fact]
    public void Values_of_each_type_are_read_and_absent_keys_are_null()
    {
        var config = Config(("lr", new Scalar { Double = 0.5 }), ("epochs", new Scalar { Sint64 = -3 }), ("flag", new Scalar { Bool = true }),
            ("name", new Scalar { String = "x" }), ("blob", new Scalar { Bytes = ByteString.CopyFrom(1, 2) }));
        Assert.Equal(0.5, config.GetDouble("lr"));
        Assert.Equal(-3, config.GetInt64("epochs"));
        Assert.Equal(-3.0, config.GetDouble("epochs")); // an integer widens to a double (Python's {"learning_rate": 1})
        Assert.True(config.GetBool("flag"));
        Assert.Equal("x", config.GetString("name"));
        Assert.Equal([1, 2], config.GetBytes("blob"));
        Assert.Null(config.GetDouble("missing"));
        Assert.Null(config.GetInt32("missing", 1));
        Assert.True(config.Contains("flag"));
        Assert.False(config.Contains("missing"));
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_round_and_key()
    {
        var config = Config(("local_epochs", new Scalar { Double = 1.5 }), ("learning_rate", new Scalar { String = "fast" }),
            ("proximal_mu", new Scalar { Bool = true }), ("local_steps", new Scalar { Sint64 = 0 }), ("empty", new Scalar()));
        Assert.Equal("round 4: FitIns.config[\"local_epochs\"]: expected sint64 (an integer), got double 1.5",
            Assert.Throws<FederatedException>(() => config.GetInt64("local_epochs")).Message);
        Assert.Equal("round 4: FitIns.config[\"learning_rate\"]: expected double, got string \"fast\"",
            Assert.Throws<FederatedException>(() => config.GetDouble("learning_rate")).Message);
        Assert.Equal("round 4: FitIns.config[\"proximal_mu\"]: expected double, got bool True",
            Assert.Throws<FederatedException>(() => config.GetDouble("proximal_mu")).Message);
        Assert.Equal("round 4: FitIns.config[\"local_steps\"]: expected an integer in [1, 2147483647], got 0",
            Assert.Throws<FederatedException>(() => config.GetInt32("local_steps", 1)).Message);
        Assert.Contains("round 4: FitIns.config[\"empty\"]: the Scalar holds no value",
            Assert.Throws<FederatedException>(() => config.GetString("empty")).Message);
        Assert.Contains("expected bool, got sint64 0", Assert.Throws<FederatedException>(() => config.GetBool("local_steps")).Message);
    }
}
