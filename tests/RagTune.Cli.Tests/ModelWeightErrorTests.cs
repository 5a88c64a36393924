// Checkpoints whose weights contradict config.json or hold NaN/∞: `inspect`, `generate` and `embed` fail with one line that
// names the file and the tensor (and, for a shape, what was found and expected), exit non-zero and print no output.
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class ModelWeightErrorTests
{
    /// <summary>Rewrites one tensor of <paramref name="file"/>: new values (as float32) and/or a new shape of the same size.</summary>
    private static void Rewrite(string file, string name, Func<float[], float[]>? values = null, long[]? shape = null)
    {
        List<SafeTensorEntry> entries;
        using (var st = SafeTensorFile.Open(file))
            entries = st.Tensors.Select(t => t.Name != name
                ? new SafeTensorEntry(t.Name, t.DType, t.Shape, st.GetBytes(t.Name).ToArray())
                : values is null
                    ? new SafeTensorEntry(t.Name, t.DType, shape ?? t.Shape, st.GetBytes(t.Name).ToArray())
                    : SafeTensorEntry.FromFloat32(t.Name, values(st.ReadFloat32(t.Name)), shape ?? t.Shape)).ToList();
        SafeTensorWriter.Write(file, entries);
    }

    private static async Task<CliResult> Fails(params string[] args)
    {
        var r = await CliHarness.RunAsync(args);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("ragtune: error: ", Assert.Single(r.ErrorLines, l => l.StartsWith("ragtune:", StringComparison.Ordinal)));
        return r;
    }

    [Fact]
    public async Task A_tensor_shape_that_contradicts_config_json_fails_inspect_and_load_with_the_same_error()
    {
        using var tmp = new TempDirectory();
        string dir = ModelFixtures.CopyTo("qwen2-tiny", tmp.Path);
        string file = Path.Combine(dir, "model.safetensors");
        const string name = "model.layers.0.mlp.up_proj.weight";
        long[] shape;
        using (var st = SafeTensorFile.Open(file)) shape = st.Tensors.Single(t => t.Name == name).Shape;
        Rewrite(file, name, shape: [shape[1], shape[0]]);
        string expected = $"ragtune: error: {file}: tensor '{name}' has shape [{shape[1]}, {shape[0]}], expected [{shape[0]}, {shape[1]}]";

        var inspect = await Fails("inspect", dir);
        Assert.Equal(expected, Assert.Single(inspect.ErrorLines));
        Assert.DoesNotContain("all present", inspect.Stdout);
        var generate = await Fails("generate", "--model", dir, "--prompt-ids", "1,2");
        Assert.Equal(expected, Assert.Single(generate.ErrorLines, l => l.StartsWith("ragtune:", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("0", "NaN")]                       // greedy: used to print token 0 ("!!!!")
    [InlineData("0.8", "NaN")]                     // sampling: used to throw IndexOutOfRange
    [InlineData("0.8", "Infinity")]
    public async Task Non_finite_decoder_weights_name_the_folder_and_the_tensor(string temperature, string value)
    {
        using var tmp = new TempDirectory();
        string dir = ModelFixtures.CopyTo("qwen2-tiny", tmp.Path);
        string file = Path.Combine(dir, "model.safetensors");
        const string name = "model.layers.0.mlp.down_proj.weight";
        float bad = value == "NaN" ? float.NaN : float.PositiveInfinity;
        Rewrite(file, name, v => { v[7] = bad; return v; });

        var r = await Fails("generate", "--model", dir, "--prompt-ids", "1,2,3", "--max-tokens", "4", "--temperature", temperature, "--seed", "1");
        Assert.Equal($"ragtune: error: {dir}: the logits of generated token 1 came out NaN or infinite because tensor '{name}' in {file} "
            + "holds NaN or infinite values; expected finite weights (the file is damaged)",
            Assert.Single(r.ErrorLines, l => l.StartsWith("ragtune:", StringComparison.Ordinal)));
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task Non_finite_encoder_weights_name_the_folder_and_the_tensor()
    {
        using var tmp = new TempDirectory();
        string dir = ModelFixtures.CopyTo("bert-tiny-cls", tmp.Path);
        string file = Path.Combine(dir, "model.safetensors");
        string name;
        using (var st = SafeTensorFile.Open(file)) name = st.Tensors.First(t => t.Name.EndsWith("encoder.layer.0.output.dense.weight", StringComparison.Ordinal)).Name;
        Rewrite(file, name, v => { v[3] = float.NaN; return v; });

        var r = await Fails("embed", "--model", dir, "hello world");
        Assert.Equal($"ragtune: error: {dir}: the embedding came out NaN or infinite because tensor '{name}' in {file} "
            + "holds NaN or infinite values; expected finite weights (the file is damaged)", Assert.Single(r.ErrorLines));
        Assert.Equal("", r.Stdout);
    }
}
