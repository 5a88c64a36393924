// Which repository files a pull selects, and the glob syntax of --include/--exclude.
using RagTune.Engine.Hub;
using Xunit;

namespace RagTune.Engine.Tests.Hub;

public sealed class HubFileFilterTests
{
    [Theory]
    [InlineData("config.json", true)]
    [InlineData("generation_config.json", true)]
    [InlineData("model.safetensors", true)]
    [InlineData("model-00001-of-00004.safetensors", true)]
    [InlineData("model.safetensors.index.json", true)]
    [InlineData("tokenizer.json", true)]
    [InlineData("tokenizer_config.json", true)]
    [InlineData("vocab.json", true)]
    [InlineData("merges.txt", true)]
    [InlineData("vocab.txt", true)]
    [InlineData("special_tokens_map.json", true)]
    [InlineData("added_tokens.json", true)]
    [InlineData("modules.json", true)]
    [InlineData("config_sentence_transformers.json", true)]
    [InlineData("sentence_bert_config.json", true)]
    [InlineData("1_Pooling/config.json", true)]
    [InlineData("2_Dense/model.safetensors", true)]
    [InlineData("pytorch_model.bin", false)]
    [InlineData("model.pt", false)]
    [InlineData("consolidated.pth", false)]
    [InlineData("onnx/model.onnx", false)]
    [InlineData("model.gguf", false)]
    [InlineData("flax_model.msgpack", false)]
    [InlineData("tf_model.h5", false)]
    [InlineData("rust_model.ot", false)]
    [InlineData("README.md", false)]
    [InlineData("original/params.json", false)]
    [InlineData("a/b/config.json", false)]
    public void Inference_files_are_selected(string path, bool expected) =>
        Assert.Equal(expected, HubFileFilter.IsSelected(path, [], []));

    [Theory]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)]
    [InlineData("**/*.md", "docs/a/README.md", true)]
    [InlineData("**/*.md", "README.md", true)]
    [InlineData("onnx/**", "onnx/model.onnx", true)]
    [InlineData("model-0000?-of-00002.safetensors", "model-00001-of-00002.safetensors", true)]
    [InlineData("model.(1).json", "model.(1).json", true)]
    [InlineData("model.(1).json", "modelX(1).json", false)]
    public void Globs(string pattern, string path, bool expected) =>
        Assert.Equal(expected, HubFileFilter.Matches(pattern, path));

    [Fact]
    public void Exclude_wins_over_defaults_and_include()
    {
        Assert.False(HubFileFilter.IsSelected("tokenizer.json", ["tokenizer.json"], ["tokenizer.*"]));
        Assert.True(HubFileFilter.IsSelected("README.md", ["*.md"], []));
    }
}
