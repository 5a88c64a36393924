// `train sft --method prompt-tuning` writes a PEFT prompt-tuning adapter that `generate --adapter` runs (its virtual tokens
// before the prompt: the engine's own greedy ids with that prompt, not the base model's); `--base-precision q4_k` trains
// LoRA over a 4-bit base; conflicting flags are one clear error. `serve` (as an adapter of its base or as a model folder of
// its own) and `eval` against that server answer with the virtual tokens: the same greedy text as LocalChatClient with the
// prompt, not the base's; an adapter for another model or a missing base is one error naming adapter_config.json's field.
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using RagTune.Engine.AI;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed partial class TrainPromptTuningTests : IDisposable
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

    private static readonly string[] Questions = ["What is fact 1?", "Where is the pump?"];

    /// <summary>What eval's closed-book system sends for a question (the default format's system prompt, if any, then the question).</summary>
    private static List<ChatMessage> Messages(string question)
    {
        var messages = new List<ChatMessage>();
        if (RagTune.Knowledge.Rag.RagPromptFormat.Default.SystemPrompt is { Length: > 0 } system) messages.Add(new ChatMessage(ChatRole.System, system));
        messages.Add(new ChatMessage(ChatRole.User, question));
        return messages;
    }

    [Fact]
    public async Task Serve_and_eval_answer_with_the_prompt_tuning_adapter()
    {
        var ct = TestContext.Current.CancellationToken;
        var r = await CliHarness.RunAsync(Sft("pt", "--method", "prompt-tuning", "--virtual-tokens", "5", "--init-text", "Answer the question"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        string adapter = Path.Combine(_dir, "pt", "adapter"), model = ModelFixtures.Dir("qwen2-tiny");

        // The reference: LocalChatClient over the base, with and without the virtual tokens, greedy.
        var chatOptions = new ChatOptions { Temperature = 0, MaxOutputTokens = 6 };
        using var baseClient = LocalChatClient.Load(model);
        using var tunedClient = new LocalChatClient(baseClient.Generator, baseClient.Template, "pt",
            new LocalChatClientOptions { PromptTuning = PromptTuning.Load(adapter, baseClient.Generator.Model.Config.HiddenSize) });
        var expectedBase = new List<string>();
        var expectedTuned = new List<string>();
        foreach (string q in Questions)
        {
            expectedBase.Add((await baseClient.GetResponseAsync(Messages(q), chatOptions, ct)).Text);
            expectedTuned.Add((await tunedClient.GetResponseAsync(Messages(q), chatOptions, ct)).Text);
        }
        Assert.NotEqual(expectedBase, expectedTuned);

        // `serve`: the adapter of the base (pt) and the adapter folder as a model of its own (tuned, base from its config).
        using var child = ChildCli.Start("serve", "--port", "0", "--model", "base=" + model, "--lora-modules", "pt=" + adapter, "--model", "tuned=" + adapter);
        await child.WaitUntilAsync(() => Serving().IsMatch(child.Output), TimeSpan.FromSeconds(90), "serving", ct);
        var baseUrl = new Uri(Serving().Match(child.Output).Groups[1].Value + "/");
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        async Task<string> Complete(string name, string question)
        {
            using var reply = await http.PostAsJsonAsync("v1/chat/completions", new
            {
                model = name,
                messages = Messages(question).Select(m => new { role = m.Role.Value, content = m.Text }),
                max_tokens = 6,
                temperature = 0,
            }, ct);
            string body = await reply.Content.ReadAsStringAsync(ct);
            Assert.True(reply.IsSuccessStatusCode, body);
            return (string)JsonNode.Parse(body)!["choices"]![0]!["message"]!["content"]!;
        }
        for (int i = 0; i < Questions.Length; i++)
        {
            Assert.Equal(expectedTuned[i], await Complete("pt", Questions[i]));
            Assert.Equal(expectedTuned[i], await Complete("tuned", Questions[i]));
            Assert.Equal(expectedBase[i], await Complete("base", Questions[i]));
        }

        // `eval` against that server scores each model on its own answers: the adapter's, not the base's.
        string set = Path.Combine(_dir, "set.jsonl"), evalOut = Path.Combine(_dir, "eval");
        File.WriteAllLines(set, Questions.Select((q, i) => JsonSerializer.Serialize(new { id = $"q{i}", question = q, answers = new[] { expectedTuned[i] } })));
        var eval = await CliHarness.RunAsync("eval", "--set", set, "--model", "base", "--model", "pt", "--model", "tuned", "--endpoint", baseUrl + "v1",
            "--api-key", "k", "--mode", "closed-book", "--max-tokens", "6", "--temperature", "0", "--concurrency", "1", "--out", evalOut);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var results = File.ReadAllLines(Path.Combine(evalOut, "results.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(3 * Questions.Length, results.Count);
        string Answer(string system, int i) => (string)results.Single(x => (string?)x["system"] == system && (string?)x["item_id"] == $"q{i}")!["answer"]!;
        for (int i = 0; i < Questions.Length; i++)
        {
            Assert.Equal(expectedTuned[i], Answer("pt closed-book", i));
            Assert.Equal(expectedTuned[i], Answer("tuned closed-book", i));
            Assert.Equal(expectedBase[i], Answer("base closed-book", i));
        }
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(evalOut, "report.json"))))
            Assert.Contains("pt closed-book", report.RootElement.GetRawText());
        child.Terminate();
        Assert.Equal(0, await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct));
    }

    [Fact]
    public async Task Serve_refuses_a_prompt_tuning_adapter_for_another_model_or_without_its_base_naming_the_field()
    {
        var r = await CliHarness.RunAsync(Sft("pt", "--method", "prompt-tuning", "--virtual-tokens", "2"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        string adapter = Path.Combine(_dir, "pt", "adapter"), config = Path.Combine(adapter, "adapter_config.json");

        var other = await CliHarness.RunAsync("serve", "--port", "0", "--model", "q3=" + ModelFixtures.Dir("qwen3-tiny"), "--lora-modules", "pt=" + adapter);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains(config, other.Stderr);
        Assert.Contains("token_dim", other.Stderr);
        Assert.Single(other.ErrorLines);

        // The adapter folder served as a model reads its base from base_model_name_or_path: a folder that is not here is named.
        var node = JsonNode.Parse(File.ReadAllText(config))!;
        node["base_model_name_or_path"] = Path.Combine(_dir, "no-such-base");
        File.WriteAllText(config, node.ToJsonString());
        var missing = await CliHarness.RunAsync("serve", "--port", "0", "--model", "pt=" + adapter);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains(config, missing.Stderr);
        Assert.Contains("base_model_name_or_path", missing.Stderr);

        // A weights file whose prompt is not num_virtual_tokens long is refused by name too.
        node["base_model_name_or_path"] = ModelFixtures.Dir("qwen2-tiny");
        node["num_virtual_tokens"] = 3;
        File.WriteAllText(config, node.ToJsonString());
        var count = await CliHarness.RunAsync("serve", "--port", "0", "--model", "pt=" + adapter);
        Assert.NotEqual(0, count.ExitCode);
        Assert.Contains("num_virtual_tokens", count.Stderr);
        Assert.Contains("adapter_model.safetensors", count.Stderr);
    }

    [GeneratedRegex(@"ragtune: serving on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Serving();
}
