// Checkpoint directories: a single model.safetensors, shards through model.safetensors.index.json, and their failures.
using System.Text.Json;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Tensors;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<SafeTensorEntry> Layers(int count) => Enumerable.Range(0, count)
        .Select(i => SafeTensorEntry.FromFloat32($"model.layers.{i}.weight", Enumerable.Range(0, 16).Select(j => i * 100f + j).ToArray(), 4, 4))
        .ToList();

    [Fact]
    public void Single_file_checkpoint()
    {
        var written = SafeTensorWriter.WriteSharded(_dir.Path, Layers(3), maxShardBytes: 1 << 20);
        Assert.Equal(["model.safetensors"], written);
        using var ckpt = Checkpoint.Open(_dir.Path);
        Assert.Equal(_dir.Path, ckpt.Directory);
        Assert.Equal(3, ckpt.Tensors.Count);
        Assert.True(ckpt.Contains("model.layers.2.weight"));
        Assert.Equal(215f, ckpt.ReadFloat32("model.layers.2.weight")[15]);
    }

    [Fact]
    public unsafe void Sharded_checkpoint_reads_every_tensor_from_its_shard()
    {
        // 64 bytes per tensor and 150 per shard: two tensors per shard, five tensors → three shards.
        var written = SafeTensorWriter.WriteSharded(_dir.Path, Layers(5), maxShardBytes: 150, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
            "model.safetensors.index.json"], written);
        using (var index = JsonDocument.Parse(File.ReadAllText(_dir.File("model.safetensors.index.json"))))
        {
            Assert.Equal(5 * 64, index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            Assert.Equal("model-00003-of-00003.safetensors", index.RootElement.GetProperty("weight_map").GetProperty("model.layers.4.weight").GetString());
        }
        using var ckpt = Checkpoint.Open(_dir.Path);
        Assert.Equal(3, ckpt.Files.Count);
        Assert.Equal(5, ckpt.Tensors.Count);
        for (int i = 0; i < 5; i++)
        {
            string name = $"model.layers.{i}.weight";
            var values = new float[16];
            ckpt.ReadFloat32(name, values);
            Assert.Equal(i * 100f + 7, values[7]);
            Assert.Equal(i * 100f, *(float*)ckpt.GetPointer(name));
            Assert.Equal(64, ckpt.GetBytes(name).Length);
            Assert.True(ckpt.TryGetInfo(name, out var info));
            Assert.EndsWith($"model-{i / 2 + 1:D5}-of-00003.safetensors", info.File);
            Assert.Equal(info, ckpt.Info(name));
        }
    }

    [Fact]
    public void Missing_shard_file_names_the_shard()
    {
        SafeTensorWriter.WriteSharded(_dir.Path, Layers(4), maxShardBytes: 100);
        File.Delete(_dir.File("model-00002-of-00004.safetensors"));
        var ex = Assert.Throws<EngineException>(() => Checkpoint.Open(_dir.Path));
        Assert.Contains("model-00002-of-00004.safetensors", ex.Message);
        Assert.Contains("missing", ex.Message);
    }

    [Fact]
    public void Index_pointing_at_the_wrong_shard_is_an_error()
    {
        SafeTensorWriter.WriteSharded(_dir.Path, Layers(2), maxShardBytes: 100);
        string index = _dir.File("model.safetensors.index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"model.layers.1.weight\": \"model-00002", "\"model.layers.1.weight\": \"model-00001"));
        var ex = Assert.Throws<EngineException>(() => Checkpoint.Open(_dir.Path));
        Assert.Contains("'model.layers.1.weight'", ex.Message);
        Assert.Contains("model-00001-of-00002.safetensors", ex.Message);
    }

    [Theory]
    [InlineData("""{"weight_map": {"a": "../model.safetensors"}}""", "not a file name")]
    [InlineData("""{"metadata": {}}""", "weight_map")]
    [InlineData("""{"weight_map": {"a": 3}}""", "'a'")]
    [InlineData("""{"weight_map": """, "JSON")]
    public void Malformed_index_is_an_error(string json, string expected)
    {
        File.WriteAllText(_dir.File("model.safetensors.index.json"), json);
        var ex = Assert.Throws<EngineException>(() => Checkpoint.Open(_dir.Path));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("model.safetensors.index.json", ex.Message);
    }

    [Fact]
    public void Missing_tensor_names_tensor_and_directory()
    {
        SafeTensorWriter.WriteSharded(_dir.Path, Layers(1), maxShardBytes: 1000);
        using var ckpt = Checkpoint.Open(_dir.Path);
        var ex = Assert.Throws<EngineException>(() => ckpt.ReadFloat32("lm_head.weight"));
        Assert.Contains("'lm_head.weight'", ex.Message);
        Assert.Contains(_dir.Path, ex.Message);
        Assert.False(ckpt.TryGetInfo("lm_head.weight", out _));
    }

    [Fact]
    public void Directory_without_weights()
    {
        var ex = Assert.Throws<EngineException>(() => Checkpoint.Open(_dir.Path));
        Assert.Equal($"no model.safetensors or model.safetensors.index.json in {_dir.Path}", ex.Message);
        Assert.Contains("does not exist", Assert.Throws<EngineException>(() => Checkpoint.Open(_dir.File("nope"))).Message);
        File.WriteAllBytes(_dir.File("pytorch_model.bin"), [0x80, 2]);
        Assert.Contains("found pytorch_model.bin", Assert.Throws<EngineException>(() => Checkpoint.Open(_dir.Path)).Message);
    }

    [Fact]
    public void Corrupt_single_file_names_the_file()
    {
        File.WriteAllBytes(_dir.File("model.safetensors"), [1, 2, 3]);
        Assert.Contains(_dir.File("model.safetensors"), Assert.Throws<EngineException>(() => Checkpoint.Open(_dir.Path)).Message);
    }
}
