// The GPT-2 fixture through the commands a user runs: `generate` on a plain text prompt gives the PyTorch greedy ids,
// `train sft` trains LoRA on c_attn/c_proj/c_fc (saved with fan_in_fan_out, as PEFT saves Conv1D adapters) over the plain
// "question\nanswer<|endoftext|>" layout, `generate --adapter` applies it, `train full` saves a reloadable GPT-2 checkpoint,
// and `serve` answers a chat completion.
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed partial class Gpt2CommandTests : IDisposable
{
    private const string Name = "gpt2-tiny";
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-gpt2-cli-").FullName;

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
    public async Task Plain_prompt_generation_gives_the_pytorch_greedy_ids()
    {
        var golden = ModelFixtures.Golden(Name);
        int[] greedy = golden.GetProperty("greedy_ids").Ints();
        var r = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir(Name), "--prompt", golden.GetProperty("prompt").GetString()!,
            "--max-tokens", greedy.Length.ToString(), "--print-ids");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Join(",", greedy), r.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task Sft_trains_lora_on_c_attn_c_proj_c_fc_and_generate_applies_it()
    {
        var r = await CliHarness.RunAsync("train", "sft", "--model", ModelFixtures.Dir(Name), "--data", WriteData(),
            "--output", Path.Combine(_dir, "run"), "--max-steps", "3", "--lr", "0.01", "--lora-rank", "4", "--quiet");
        Assert.Equal(0, r.ExitCode);
        string adapter = r.Stdout.Trim();
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal(["c_attn", "c_fc", "c_proj"], config.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
            Assert.True(config.RootElement.GetProperty("fan_in_fan_out").GetBoolean());
        }
        var gen = await CliHarness.RunAsync("generate", "-m", ModelFixtures.Dir(Name), "--adapter", adapter, "--prompt", "Where is the red door?\n",
            "--max-tokens", "4", "--print-ids");
        Assert.Equal(0, gen.ExitCode);

        string merged = Path.Combine(_dir, "merged");
        var merge = await CliHarness.RunAsync("adapter", "merge", adapter, "--model", ModelFixtures.Dir(Name), "--output", merged);
        Assert.Equal(0, merge.ExitCode);
        var fromMerged = await CliHarness.RunAsync("generate", "-m", merged, "--prompt", "Where is the red door?\n", "--max-tokens", "4", "--print-ids");
        Assert.Equal(0, fromMerged.ExitCode);
        Assert.Equal(gen.Stdout.TrimEnd('\n').Split('\n')[^1], fromMerged.Stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public async Task Full_fine_tune_saves_a_gpt2_checkpoint()
    {
        var r = await CliHarness.RunAsync("train", "full", "--model", ModelFixtures.Dir(Name), "--data", WriteData(),
            "--output", Path.Combine(_dir, "full"), "--max-steps", "2", "--lr", "0.001", "--quiet");
        Assert.Equal(0, r.ExitCode);
        var inspect = await CliHarness.RunAsync("inspect", r.Stdout.Trim());
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("GPT2LMHeadModel", inspect.Stdout);
        Assert.Contains("all present", inspect.Stdout);
    }

    [Fact]
    public async Task Serve_answers_a_chat_completion()
    {
        var ct = TestContext.Current.CancellationToken;
        using var child = ChildCli.Start("serve", "--port", "0", "--model", "gpt2=" + ModelFixtures.Dir(Name));
        await child.WaitUntilAsync(() => Serving().IsMatch(child.Output), TimeSpan.FromSeconds(60), "serving", ct);
        using var http = new HttpClient { BaseAddress = new Uri(Serving().Match(child.Output).Groups[1].Value + "/"), Timeout = TimeSpan.FromSeconds(60) };
        using var reply = await http.PostAsJsonAsync("v1/chat/completions", new
        {
            model = "gpt2",
            messages = new[] { new { role = "user", content = "What is RagTune?" } },
            max_tokens = 3,
            temperature = 0,
        }, ct);
        string body = await reply.Content.ReadAsStringAsync(ct);
        Assert.True(reply.IsSuccessStatusCode, body);
        using var completion = JsonDocument.Parse(body);
        Assert.Equal(3, completion.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        child.Terminate();
        Assert.Equal(0, await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct));
    }

    [GeneratedRegex(@"ragtune: serving on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Serving();
}
