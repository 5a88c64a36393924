// `train sft --method prompt-tuning` writes a PEFT prompt-tuning adapter that `generate --adapter` runs (its virtual tokens
// before the prompt: the engine's own greedy ids with that prompt, not the base model's); `--base-precision q4_k` trains
// LoRA over a 4-bit base; conflicting flags are one clear error.
using System.Text.Json;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class TrainPromptTuningTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-train-prompt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string WriteData()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "data.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 4).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"What is fact {i}?" }, new { role = "assistant", content = $"Fact {i} is true." } },
        })));
        return path;
    }

    private string[] Sft(string run, params string[] extra) =>
    [
        "train", "sft", "--model", ModelFixtures.Dir("qwen2-tiny"), "--data", WriteData(), "--output", Path.Combine(_dir, run),
        "--max-steps", "3", "--grad-accum", "1", "--lr", "0.01", "--quiet", .. extra,
    ];

    [Fact]
    public async Task Prompt_tuning_trains_saves_peft_format_and_generates_with_the_virtual_tokens()
    {
        var r = await CliHarness.RunAsync(Sft("pt", "--method", "prompt-tuning", "--virtual-tokens", "5", "--init-text", "Answer the question"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        string adapter = Path.Combine(_dir, "pt", "adapter");
        Assert.Contains(" 320 trainable parameters", r.Stderr);   // 5 × 64, nothing else
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal("PROMPT_TUNING", config.RootElement.GetProperty("peft_type").GetString());
            Assert.Equal("TEXT", config.RootElement.GetProperty("prompt_tuning_init").GetString());
            Assert.Equal(5, config.RootElement.GetProperty("num_virtual_tokens").GetInt32());
        }

        var generator = TextGenerator.Load(ModelFixtures.Dir("qwen2-tiny"));
        var prompt = PromptTuning.Load(adapter, generator.Model.Config.HiddenSize);
        int[] ids = [5, 9, 33, 17];
        async Task<string> Greedy(PromptTuning? p) => string.Join(",", (await generator.GenerateTextAsync(ids,
            new GenerationOptions { MaxTokens = 6, StopTokenIds = generator.EosTokenIds, PromptTuning = p }, TestContext.Current.CancellationToken)).TokenIds);
        string expected = await Greedy(prompt), baseIds = await Greedy(null);
        Assert.NotEqual(baseIds, expected);

        var g = await CliHarness.RunAsync("generate", "--model", ModelFixtures.Dir("qwen2-tiny"), "--prompt-ids", string.Join(",", ids),
            "--max-tokens", "6", "--print-ids", "--adapter", adapter);
        Assert.True(g.ExitCode == 0, g.Stderr);
        Assert.Equal(expected, g.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task A_prompt_tuning_adapter_for_another_model_is_one_error_naming_the_file()
    {
        var r = await CliHarness.RunAsync(Sft("pt", "--method", "prompt-tuning", "--virtual-tokens", "2"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var g = await CliHarness.RunAsync("generate", "--model", ModelFixtures.Dir("qwen3-tiny"), "--prompt-ids", "5,9",
            "--max-tokens", "2", "--adapter", Path.Combine(_dir, "pt", "adapter"));
        Assert.NotEqual(0, g.ExitCode);
        Assert.Contains(Path.Combine(_dir, "pt", "adapter", "adapter_config.json"), g.Stderr);
        Assert.Contains("token_dim", g.Stderr);
    }

    [Fact]
    public async Task Lora_over_a_q4_k_base_trains_and_conflicting_flags_are_refused()
    {
        var r = await CliHarness.RunAsync(Sft("q4", "--base-precision", "q4_k"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(_dir, "q4", "adapter", "adapter_model.safetensors")));

        var both = await CliHarness.RunAsync(Sft("both", "--base-precision", "q4_k", "--dtype", "bf16"));
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("--base-precision q4_k and --dtype/--quantize", both.Stderr);
        var initText = await CliHarness.RunAsync(Sft("init", "--init-text", "hello"));
        Assert.NotEqual(0, initText.ExitCode);
        Assert.Contains("--init-text is for --method prompt-tuning", initText.Stderr);
    }
}
