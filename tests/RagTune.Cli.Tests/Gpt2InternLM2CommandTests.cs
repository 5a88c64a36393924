// The GPT-2 and InternLM2 fixtures through the commands a user runs: `generate` gives the PyTorch greedy ids (GPT-2 on a
// plain text prompt, InternLM2 with --chat and the internlm2-chat template); `train sft` trains LoRA on PEFT's module names
// for the architecture (c_attn/c_proj/c_fc saved with fan_in_fan_out as PEFT saves Conv1D adapters; wqkv/wo/w1/w2/w3),
// which `generate --adapter` applies and `adapter merge` folds in to the same ids; `train full` saves a checkpoint that
// `inspect` finds complete; `serve` answers a chat completion.
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed partial class Gpt2InternLM2CommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-models-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string LastLine(CliResult r) => r.Stdout.TrimEnd('\n').Split('\n')[^1];

    [Fact]
    public async Task Gpt2_plain_prompt_generation_gives_the_pytorch_greedy_ids()
    {
        var golden = ModelFixtures.Golden("gpt2-tiny");
        int[] greedy = golden.GetProperty("greedy_ids").Ints();
        var r = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir("gpt2-tiny"), "--prompt", golden.GetProperty("prompt").GetString()!,
            "--max-tokens", greedy.Length.ToString(), "--print-ids");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Join(",", greedy), LastLine(r));
    }

    [Fact]
    public async Task InternLM2_chat_generation_gives_the_pytorch_greedy_ids()
    {
        int[] chat = ModelFixtures.Golden("internlm2-tiny").GetProperty("chat_greedy_ids").Ints();
        var r = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir("internlm2-tiny"), "--chat", "--prompt", "What is RagTune?",
            "--max-tokens", "20", "--print-ids");
        Assert.Equal(0, r.ExitCode);
        int stopAt = Array.FindIndex(chat, id => id is 506 or 508);   // <|endoftext|>, <|im_end|>
        int n = stopAt < 0 ? 20 : Math.Min(20, stopAt + 1);
        Assert.Equal(string.Join(",", chat[..n]), LastLine(r));
    }

    [Theory]
    [InlineData("gpt2-tiny", "c_attn,c_fc,c_proj", true, 8)]
    [InlineData("internlm2-tiny", "w1,w2,w3,wo,wqkv", false, 10)]
    public async Task Sft_trains_lora_on_the_peft_module_names_then_generate_applies_and_merge_folds_it(
        string name, string targets, bool fanInFanOut, int modules)
    {
        var r = await CliHarness.RunAsync("train", "sft", "--model", ModelFixtures.Dir(name), "--data", ModelFixtures.WriteFacts(_dir),
            "--output", Path.Combine(_dir, "run"), "--max-steps", "3", "--lr", "0.01", "--lora-rank", "4", "--quiet");
        Assert.Equal(0, r.ExitCode);
        string adapter = r.Stdout.Trim();
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal(targets, string.Join(",", config.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString())));
            Assert.Equal(fanInFanOut, config.RootElement.GetProperty("fan_in_fan_out").GetBoolean());
        }
        var inspect = await CliHarness.RunAsync("adapter", "inspect", adapter);
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains($"modules:        {modules}", inspect.Stdout);

        string[] prompt = ["--prompt", "Where is the red door?\n", "--max-tokens", "4", "--print-ids"];
        var gen = await CliHarness.RunAsync(["generate", "-m", ModelFixtures.Dir(name), "--adapter", adapter, .. prompt]);
        Assert.Equal(0, gen.ExitCode);
        string merged = Path.Combine(_dir, "merged");
        var merge = await CliHarness.RunAsync("adapter", "merge", adapter, "--model", ModelFixtures.Dir(name), "--output", merged);
        Assert.Equal(0, merge.ExitCode);
        var fromMerged = await CliHarness.RunAsync(["generate", "-m", merged, .. prompt]);
        Assert.Equal(0, fromMerged.ExitCode);
        Assert.Equal(LastLine(gen), LastLine(fromMerged));
    }

    [Theory]
    [InlineData("gpt2-tiny", "GPT2LMHeadModel")]
    [InlineData("internlm2-tiny", "InternLM2ForCausalLM")]
    public async Task Full_fine_tune_saves_a_complete_checkpoint(string name, string architecture)
    {
        var r = await CliHarness.RunAsync("train", "full", "--model", ModelFixtures.Dir(name), "--data", ModelFixtures.WriteFacts(_dir),
            "--output", Path.Combine(_dir, "full"), "--max-steps", "2", "--lr", "0.001", "--quiet");
        Assert.Equal(0, r.ExitCode);
        var inspect = await CliHarness.RunAsync("inspect", r.Stdout.Trim());
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains(architecture, inspect.Stdout);
        Assert.Contains("all present", inspect.Stdout);
    }

    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("internlm2-tiny")]
    public async Task Serve_answers_a_chat_completion(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        using var child = ChildCli.Start("serve", "--port", "0", "--model", "m=" + ModelFixtures.Dir(name));
        await child.WaitUntilAsync(() => Serving().IsMatch(child.Output), TimeSpan.FromSeconds(60), "serving", ct);
        using var http = new HttpClient { BaseAddress = new Uri(Serving().Match(child.Output).Groups[1].Value + "/"), Timeout = TimeSpan.FromSeconds(60) };
        using var reply = await http.PostAsJsonAsync("v1/chat/completions",
            new { model = "m", messages = new[] { new { role = "user", content = "What is RagTune?" } }, max_tokens = 3, temperature = 0 }, ct);
        string body = await reply.Content.ReadAsStringAsync(ct);
        Assert.True(reply.IsSuccessStatusCode, body);
        using var completion = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.String, completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").ValueKind);
        child.Terminate();
        Assert.Equal(0, await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct));
    }

    [GeneratedRegex(@"ragtune: serving on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Serving();
}
