// `ragtune generate --adapter DIR`: the PEFT adapter is applied unmerged, giving the engine's own greedy ids for the model
// with that AdapterSet (not the base model's); --adapter-scale 0 gives the base ids back; a folder that is not an adapter
// is one clear error.
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class GenerateAdapterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-generate-adapter-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static int[] Prompt => ModelFixtures.Golden("qwen2-tiny").GetProperty("prompt_ids").Ints();

    private static Task<CliResult> Generate(params string[] extra) =>
        CliHarness.RunAsync(["generate", "--model", ModelFixtures.Dir("qwen2-tiny"), "--prompt-ids", string.Join(",", Prompt),
            "--max-tokens", "8", "--print-ids", .. extra]);

    private static string Ids(CliResult r) => r.Stdout.TrimEnd('\n').Split('\n')[^1];

    [Fact]
    public async Task Adapter_is_applied_and_scale_zero_is_the_base()
    {
        var generator = TextGenerator.Load(ModelFixtures.Dir("qwen2-tiny"));
        var options = new LoraOptions { Rank = 4, Alpha = 8 };
        var random = new Random(3);
        var adapters = PeftAdapter.CreateNew(generator.Model.LayerLinears, options, random);
        foreach (var (_, a) in adapters.Modules)
            for (int i = 0; i < a.B.Length; i++) a.B[i] = (random.NextSingle() - 0.5f) * 0.5f;
        PeftAdapter.Save(_dir, adapters, options, "qwen2-tiny");

        var ct = TestContext.Current.CancellationToken;
        async Task<string> Engine(AdapterSet? set) => string.Join(",", (await generator.GenerateTextAsync(Prompt,
            new GenerationOptions { MaxTokens = 8, StopTokenIds = generator.EosTokenIds, Adapters = set }, ct)).TokenIds);
        string expected = await Engine(PeftAdapter.Load(_dir, generator.Model.LayerLinears));
        string plain = await Engine(null);
        Assert.NotEqual(plain, expected);

        var r = await Generate("--adapter", _dir);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, Ids(r));
        var off = await Generate("--adapter", _dir, "--adapter-scale", "0");
        Assert.Equal(0, off.ExitCode);
        Assert.Equal(plain, Ids(off));
    }

    [Fact]
    public async Task A_folder_without_an_adapter_is_one_clear_error()
    {
        Directory.CreateDirectory(_dir);
        var r = await Generate("--adapter", _dir);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("adapter_config.json is missing", r.Stderr);
    }
}
