// The InternLM2 fixture through the commands a user runs: `generate --chat` (internlm2-chat template) gives the PyTorch
// greedy ids, `train sft` trains LoRA on PEFT's InternLM2 module names (wqkv, wo, w1, w2, w3) that `generate --adapter`
// applies and `adapter merge` folds in, `train full` saves a checkpoint under InternLM2's names, and `serve` answers a chat.
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed partial class InternLM2CommandTests : IDisposable
{
    private const string Name = "internlm2-tiny";
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-internlm2-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteData()
    {
        string path = Path.Combine(_dir, "train.jsonl");
        (string, string)[] facts = [("Where is the red door?", "north"), ("Who keeps the keys?", "Mara"), ("What opens the gate?", "the lever")];
        File.WriteAllLines(path, facts.Select(f => JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = f.Item1 }, new { role = "assistant", content = f.Item2 } },
        })));
        return path;
    }

    [Fact]
    public async Task Chat_generation_gives_the_pytorch_greedy_ids()
    {
        var golden = ModelFixtures.Golden(Name);
        int[] chat = golden.GetProperty("chat_greedy_ids").Ints();
        var r = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir(Name), "--chat", "--prompt", "What is RagTune?",
            "--max-tokens", "20", "--print-ids");
        Assert.Equal(0, r.ExitCode);
        int stopAt = Array.FindIndex(chat, id => id is 506 or 508);   // <|endoftext|>, <|im_end|>
        int n = stopAt < 0 ? 20 : Math.Min(20, stopAt + 1);
        Assert.Equal(string.Join(",", chat[..n]), r.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task Sft_trains_lora_on_the_internlm2_modules_then_generate_applies_and_merge_folds_it()
    {
        var r = await CliHarness.RunAsync("train", "sft", "--model", ModelFixtures.Dir(Name), "--data", WriteData(),
            "--output", Path.Combine(_dir, "run"), "--max-steps", "3", "--lr", "0.01", "--lora-rank", "4", "--quiet");
        Assert.Equal(0, r.ExitCode);
        string adapter = r.Stdout.Trim();
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
            Assert.Equal(["w1", "w2", "w3", "wo", "wqkv"],
                config.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));

        var inspect = await CliHarness.RunAsync("adapter", "inspect", adapter);
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("modules:        10", inspect.Stdout);

        var gen = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir(Name), "--adapter", adapter, "--prompt", "Where is the red door?",
            "--max-tokens", "4", "--print-ids");
        Assert.Equal(0, gen.ExitCode);

        string merged = Path.Combine(_dir, "merged");
        var merge = await CliHarness.RunAsync("adapter", "merge", adapter, "--model", ModelFixtures.Dir(Name), "--output", merged);
        Assert.Equal(0, merge.ExitCode);
        var fromMerged = await CliHarness.RunAsync("generate", "-m", merged, "--prompt", "Where is the red door?", "--max-tokens", "4", "--print-ids");
        Assert.Equal(0, fromMerged.ExitCode);
        Assert.Equal(gen.Stdout.TrimEnd('\n').Split('\n')[^1], fromMerged.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task Full_fine_tune_saves_a_checkpoint_under_the_internlm2_names()
    {
        var r = await CliHarness.RunAsync("train", "full", "--model", ModelFixtures.Dir(Name), "--data", WriteData(),
            "--output", Path.Combine(_dir, "full"), "--max-steps", "2", "--lr", "0.001", "--quiet");
        Assert.Equal(0, r.ExitCode);
        string model = r.Stdout.Trim();
        var inspect = await CliHarness.RunAsync("inspect", model);
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("InternLM2ForCausalLM", inspect.Stdout);
        Assert.Contains("all present", inspect.Stdout);
    }

    [Fact]
    public async Task Serve_answers_a_chat_completion()
    {
        var ct = TestContext.Current.CancellationToken;
        using var child = ChildCli.Start("serve", "--port", "0", "--model", "intern=" + ModelFixtures.Dir(Name));
        await child.WaitUntilAsync(() => Serving().IsMatch(child.Output), TimeSpan.FromSeconds(60), "serving", ct);
        using var http = new HttpClient { BaseAddress = new Uri(Serving().Match(child.Output).Groups[1].Value + "/"), Timeout = TimeSpan.FromSeconds(60) };
        using var reply = await http.PostAsJsonAsync("v1/chat/completions", new
        {
            model = "intern",
            messages = new[] { new { role = "user", content = "What is RagTune?" } },
            max_tokens = 3,
            temperature = 0,
        }, ct);
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
