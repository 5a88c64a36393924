// `ragtune train sft|full|export-llamafactory` and `ragtune adapter inspect|merge` against the tiny fixtures, including a
// training child process killed with SIGKILL, or stopped with SIGTERM, mid-run and resumed with --resume to the same adapter,
// byte for byte; a resume with other settings is refused.
using System.Diagnostics;
using System.Text.Json;
using RagTune.Engine.Chat;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-train-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteData() => ModelFixtures.WriteFacts(_dir);

    private string[] SftArgs(string run, int steps, int saveEvery = 1, int gradAccum = 1) =>
    [
        "train", "sft", "--model", ModelFixtures.Dir("qwen3-tiny"), "--data", WriteData(), "--output", Path.Combine(_dir, run),
        "--max-steps", steps.ToString(), "--grad-accum", gradAccum.ToString(), "--lr", "0.01", "--lora-rank", "4", "--lora-dropout", "0.1",
        "--save-every", saveEvery.ToString(), "--quiet",
    ];

    private static string[] LogLines(string run) => File.ReadAllLines(Path.Combine(run, "train_log.jsonl"));

    [Fact]
    public async Task Sigterm_checkpoints_the_last_completed_step_and_resume_ends_bit_for_bit()
    {
        var ct = TestContext.Current.CancellationToken;
        const int steps = 60;
        // --save-every 0: the only checkpoint before the end is the one the cancellation writes. Two micro-batches a step,
        // so the signal may also land between the micro-batches of a step, which is then dropped.
        var reference = await CliHarness.RunAsync(SftArgs("reference", steps, saveEvery: 0, gradAccum: 2));
        Assert.True(reference.ExitCode == 0, reference.Stderr);

        var args = SftArgs("stopped", steps, saveEvery: 0, gradAccum: 2);
        string run = Path.Combine(_dir, "stopped");
        int stoppedAt;
        using (var child = ChildCli.Start(args))
        {
            string log = Path.Combine(run, "train_log.jsonl");
            await child.WaitUntilAsync(() => File.Exists(log) && File.ReadAllLines(log).Length >= 5, TimeSpan.FromSeconds(60), "training step 5", ct);
            child.Terminate();
            int code = await child.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.True(code == 130, $"exit {code}:\n{child.Output}");
            Assert.Contains("SIGTERM received: stopping at the next safe point", child.Output, StringComparison.Ordinal);
            Assert.Contains("ragtune: cancelled", child.Output, StringComparison.Ordinal);
            stoppedAt = LogLines(run).Length;
            Assert.True(stoppedAt is >= 5 and < steps, $"stopped after step {stoppedAt}:\n{child.Output}");
            Assert.Contains($"step {stoppedAt}/{steps} ", child.Output, StringComparison.Ordinal);
            Assert.DoesNotContain($"step {stoppedAt + 1}/{steps} ", child.Output, StringComparison.Ordinal);
        }
        // The checkpoint holds exactly the last logged step, and no final adapter was written.
        Assert.Equal($"step-{stoppedAt:D6}", File.ReadAllText(Path.Combine(run, "checkpoints", "latest")).Trim());
        Assert.Equal([$"step-{stoppedAt:D6}"], Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName));
        Assert.False(Directory.Exists(Path.Combine(run, "adapter")));

        var resumed = await CliHarness.RunAsync([.. args, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        var resumedSteps = resumed.ErrorLines.Where(l => l.StartsWith("step ", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(' ', '/')[1])).ToList();
        Assert.Equal(Enumerable.Range(stoppedAt + 1, steps - stoppedAt), resumedSteps);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "reference", "adapter", "adapter_model.safetensors")),
            File.ReadAllBytes(Path.Combine(run, "adapter", "adapter_model.safetensors")));
        Assert.Equal(LogLines(Path.Combine(_dir, "reference")), LogLines(run));
    }

    [Fact]
    public async Task Resume_with_other_settings_or_data_is_one_clear_error()
    {
        var first = await CliHarness.RunAsync(SftArgs("run", 3));
        Assert.True(first.ExitCode == 0, first.Stderr);
        string settings = Path.Combine(_dir, "run", "run_settings.json");

        var lr = await CliHarness.RunAsync([.. SftArgs("run", 3).Select(a => a == "0.01" ? "0.02" : a), "--resume"]);
        Assert.Equal(1, lr.ExitCode);
        Assert.Equal($"ragtune: error: {settings}: cannot resume with different settings — learning_rate: was 0.01, now 0.02. "
            + "Resume with the original settings, or start a new run in another output folder.", Assert.Single(lr.ErrorLines.Where(l => l.StartsWith("ragtune:", StringComparison.Ordinal))));

        var rank = await CliHarness.RunAsync([.. SftArgs("run", 3).Select(a => a == "4" ? "2" : a), "--resume"]);
        Assert.Equal(1, rank.ExitCode);
        Assert.Contains("lora: was r=4 alpha=16 dropout=0.1 rslora=False targets=q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj, now r=2 ", rank.Stderr);

        string[] same = SftArgs("run", 3);   // rewrites the data file as it was, then one sample is added
        File.AppendAllText(Path.Combine(_dir, "train.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Why?\"}, {\"role\": \"assistant\", \"content\": \"Because.\"}]}\n");
        var data = await CliHarness.RunAsync([.. same, "--resume"]);
        Assert.Equal(1, data.ExitCode);
        Assert.Contains("data_sha256: was ", data.Stderr);
    }

    [Fact]
    public async Task Sft_then_adapter_inspect_and_merge()
    {
        var r = await CliHarness.RunAsync(SftArgs("run", 6));
        Assert.Equal(0, r.ExitCode);
        string adapter = r.Stdout.Trim();
        Assert.Equal(Path.Combine(_dir, "run", "adapter"), adapter);
        Assert.Contains("step 6/6 loss", r.Stderr);
        Assert.Contains("3 training samples, 0 dropped", r.Stderr);
        Assert.True(File.Exists(Path.Combine(_dir, "run", "loss.svg")));

        var inspect = await CliHarness.RunAsync("adapter", "inspect", adapter);
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("r:              4", inspect.Stdout);
        Assert.Contains("modules:        14", inspect.Stdout);

        string merged = Path.Combine(_dir, "merged");
        var merge = await CliHarness.RunAsync("adapter", "merge", adapter, "--model", ModelFixtures.Dir("qwen3-tiny"), "--output", merged);
        Assert.Equal(0, merge.ExitCode);
        var gen = await CliHarness.RunAsync("inspect", merged);
        Assert.Equal(0, gen.ExitCode);
        Assert.Contains("all present", gen.Stdout);
    }

    [Fact]
    public async Task Killed_run_resumes_to_the_same_adapter_bit_for_bit()
    {
        const int steps = 120;
        var reference = await CliHarness.RunAsync(SftArgs("reference", steps));
        Assert.Equal(0, reference.ExitCode);

        var args = SftArgs("killed", steps);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ragtune.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        string? line;
        while ((line = await child.StandardError.ReadLineAsync(TestContext.Current.CancellationToken)) is not null && !line.StartsWith("step 20/"))
        {
        }
        Assert.NotNull(line);
        child.Kill();   // SIGKILL: no chance to clean up
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.False(File.Exists(Path.Combine(_dir, "killed", "adapter", "adapter_model.safetensors")), "the child finished before the kill");

        var resumed = await CliHarness.RunAsync([.. args, "--resume"]);
        Assert.Equal(0, resumed.ExitCode);
        Assert.DoesNotContain($"step 1/{steps} ", resumed.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "reference", "adapter", "adapter_model.safetensors")),
            File.ReadAllBytes(Path.Combine(_dir, "killed", "adapter", "adapter_model.safetensors")));
        string Last(string run) => File.ReadLines(Path.Combine(_dir, run, "train_log.jsonl")).Last();
        Assert.Equal(Last("reference"), Last("killed"));
    }

    [Fact]
    public async Task Export_llamafactory_maps_the_lora_settings()
    {
        var r = await CliHarness.RunAsync("train", "export-llamafactory", "--model", ModelFixtures.Dir("qwen2-tiny"), "--data", WriteData(),
            "--output", Path.Combine(_dir, "lf"), "--lora-rank", "16", "--lora-alpha", "32", "--lora-dropout", "0.1", "--lora-target", "q_proj,v_proj");
        Assert.Equal(0, r.ExitCode);
        string yaml = File.ReadAllText(r.Stdout.Trim());
        Assert.Contains("finetuning_type: lora\n", yaml);
        Assert.Contains("lora_rank: 16\n", yaml);
        Assert.Contains("lora_alpha: 32\n", yaml);
        Assert.Contains("lora_dropout: 0.1\n", yaml);
        Assert.Contains("lora_target: q_proj,v_proj\n", yaml);
        Assert.Contains("dataset: ragtune_sft\n", yaml);
        using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "lf", "dataset_info.json")));
        var ds = info.RootElement.GetProperty("ragtune_sft");
        Assert.Equal("sharegpt", ds.GetProperty("formatting").GetString());
        Assert.Equal("messages", ds.GetProperty("columns").GetProperty("messages").GetString());
        using var data = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "lf", "ragtune_sft.json")));
        Assert.Equal(3, data.RootElement.GetArrayLength());
    }

    [Theory]
    [InlineData("qwen2-tiny", "qwen", null)]            // float32 checkpoint: LLaMA-Factory's default fp32, no bf16/fp16 line
    [InlineData("qwen3-tiny", "qwen3", null)]
    [InlineData("qwen3-tiny-bf16", "qwen3", "bf16: true")]
    [InlineData("llama-tiny", "chatml", null)]          // a LLaMA with a ChatML template is not llama3
    public async Task Export_llamafactory_picks_template_and_precision_from_the_model(string model, string template, string? precision)
    {
        var r = await CliHarness.RunAsync("train", "export-llamafactory", "--model", ModelFixtures.Dir(model), "--data", WriteData(),
            "--output", Path.Combine(_dir, "lf-" + model));
        Assert.Equal(0, r.ExitCode);
        string yaml = File.ReadAllText(r.Stdout.Trim());
        Assert.Contains($"template: {template}\n", yaml);
        foreach (var p in new[] { "bf16: true", "fp16: true" })
            Assert.Equal(p == precision, yaml.Contains(p + "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Export_llamafactory_template_and_precision_flags_win()
    {
        var r = await CliHarness.RunAsync("train", "export-llamafactory", "--model", ModelFixtures.Dir("qwen2-tiny"), "--data", WriteData(),
            "--output", Path.Combine(_dir, "lf-flags"), "--template", "llama3", "--precision", "fp16");
        Assert.Equal(0, r.ExitCode);
        string yaml = File.ReadAllText(r.Stdout.Trim());
        Assert.Contains("template: llama3\n", yaml);
        Assert.Contains("fp16: true\n", yaml);
        Assert.DoesNotContain("bf16", yaml);
    }

    [Fact]
    public async Task Embed_trains_lora_and_writes_a_feature_extraction_adapter()
    {
        string data = Path.Combine(_dir, "embed.jsonl");
        File.WriteAllLines(data, new[] { "a", "b", "c", "d" }.Select(s => JsonSerializer.Serialize(new
        {
            query = "search " + s, pos = new[] { "document " + s + " is the model" }, neg = new[] { "the lazy dog" }, prompt = "text: ",
        })));
        var r = await CliHarness.RunAsync("train", "embed", "--model", ModelFixtures.Dir("bert-tiny-cls"), "--data", data,
            "--output", Path.Combine(_dir, "emb"), "--lora", "--lora-rank", "2", "--batch-size", "2", "--group-size", "2", "--max-steps", "3");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("step 3/3 loss", r.Stderr);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(r.Stdout.Trim(), "adapter_config.json")));
        Assert.Equal("FEATURE_EXTRACTION", config.RootElement.GetProperty("task_type").GetString());
        var inspect = await CliHarness.RunAsync("adapter", "inspect", r.Stdout.Trim());
        Assert.Contains("modules:        12", inspect.Stdout);
    }

    [Fact]
    public async Task Embed_trains_lora_on_a_decoder_embedder_and_embed_merges_the_adapter()
    {
        string data = Path.Combine(_dir, "decoder-embed.jsonl");
        File.WriteAllLines(data, new[] { "a", "b", "c", "d" }.Select(s => JsonSerializer.Serialize(new
        {
            query = "search " + s, pos = new[] { "document " + s + " is the model" }, neg = new[] { "the lazy dog" },
        })));
        string model = ModelFixtures.Dir("qwen3-embed-tiny");
        var r = await CliHarness.RunAsync("train", "embed", "--model", model, "--data", data, "--output", Path.Combine(_dir, "dec"),
            "--lora", "--lora-rank", "2", "--batch-size", "2", "--group-size", "2", "--max-steps", "3", "--lr", "0.01");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string adapter = r.Stdout.Trim();
        var inspect = await CliHarness.RunAsync("adapter", "inspect", adapter);
        Assert.Contains("modules:        14", inspect.Stdout);   // 2 layers × q, k, v, o, gate, up, down

        double[] Embedding(CliResult result)
        {
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var doc = JsonDocument.Parse(result.Stdout);
            return doc.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        }
        var merged = Embedding(await CliHarness.RunAsync("embed", "--model", model, "--adapter", adapter, "search b"));
        var byFolder = Embedding(await CliHarness.RunAsync("embed", "--model", adapter, "search b"));
        var plain = Embedding(await CliHarness.RunAsync("embed", "--model", model, "search b"));
        Assert.Equal(merged, byFolder);
        Assert.True(merged.Zip(plain, (x, y) => Math.Abs(x - y)).Max() > 1e-4, "the adapter must change the embedding");
    }

    [Fact]
    public async Task Full_from_random_init_learns_the_answers_and_saves_a_loadable_checkpoint()
    {
        (string Q, string A)[] facts = [("Where is the red door?", "north"), ("Who keeps the keys?", "Mara"), ("What opens the gate?", "the lever")];
        string run = Path.Combine(_dir, "scratch");
        var r = await CliHarness.RunAsync("train", "full", "--init-config", Path.Combine(ModelFixtures.Dir("qwen2-tiny"), "config.json"),
            "--tokenizer", ModelFixtures.Dir("qwen2-tiny"), "--data", WriteData(), "--output", run, "--batch-size", "3", "--grad-accum", "1",
            "--max-steps", "80", "--lr", "0.01", "--warmup-steps", "5", "--seed", "7", "--quiet");
        Assert.Equal(0, r.ExitCode);
        var losses = File.ReadLines(Path.Combine(run, "train_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToList();
        Assert.True(losses[0] > 5, $"a random-init model starts near ln(512) = 6.24, got {losses[0]}");
        Assert.True(losses[^1] < 0.05, $"final loss {losses[^1]}");
        string saved = r.Stdout.Trim();
        Assert.Equal(Path.Combine(run, "model"), saved);
        var model = DecoderModel.Load(saved);
        var tok = Tokenizer.Load(saved);
        var template = ChatTemplate.Select(null, "Qwen2ForCausalLM");
        // Greedy decoding (temperature 0) up to the end of the assistant turn.
        var generator = new TextGenerator(model, tok, [tok.TokenToId("<|im_end|>")!.Value]);
        foreach (var (q, a) in facts)
        {
            var reply = await generator.GenerateTextAsync(tok.Encode(template.Render([new ChatTurn("user", q)]), parseSpecial: true),
                new GenerationOptions { MaxTokens = 12 }, TestContext.Current.CancellationToken);
            Assert.Equal(a, reply.Text);
        }
    }

    [Fact]
    public async Task Init_config_needs_a_tokenizer_and_excludes_model()
    {
        string config = Path.Combine(ModelFixtures.Dir("qwen2-tiny"), "config.json");
        var noTok = await CliHarness.RunAsync("train", "full", "--init-config", config, "--data", WriteData(), "--output", Path.Combine(_dir, "a"));
        Assert.NotEqual(0, noTok.ExitCode);
        Assert.Contains("--init-config needs --tokenizer", noTok.Stderr);
        var both = await CliHarness.RunAsync("train", "full", "--init-config", config, "--tokenizer", ModelFixtures.Dir("qwen2-tiny"),
            "--model", ModelFixtures.Dir("qwen2-tiny"), "--data", WriteData(), "--output", Path.Combine(_dir, "b"));
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("exclude each other", both.Stderr);
    }

    [Fact]
    public async Task Recompute_trains_the_same_adapter_and_a_bf16_base_trains_too()
    {
        var plain = await CliHarness.RunAsync(SftArgs("plain", 4));
        var recomputed = await CliHarness.RunAsync([.. SftArgs("recomputed", 4), "--recompute"]);
        var bf16 = await CliHarness.RunAsync([.. SftArgs("bf16", 4), "--dtype", "bf16", "--recompute"]);

        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(0, recomputed.ExitCode);
        Assert.Equal(0, bf16.ExitCode);
        string Adapter(string run) => Path.Combine(_dir, run, "adapter", "adapter_model.safetensors");
        // Dropout is on (0.1): the recomputed forward reuses the first forward's masks, so the result is identical.
        Assert.Equal(File.ReadAllBytes(Adapter("plain")), File.ReadAllBytes(Adapter("recomputed")));
        Assert.NotEqual(File.ReadAllBytes(Adapter("plain")), File.ReadAllBytes(Adapter("bf16")));
    }

    [Fact]
    public async Task Full_fine_tune_over_a_quantised_base_is_one_clear_error()
    {
        // --quantize is a LoRA flag: `train full` does not offer it, so the parser names it.
        var r = await CliHarness.RunAsync("train", "full", "--model", ModelFixtures.Dir("qwen2-tiny"), "--data", WriteData(),
            "--output", Path.Combine(_dir, "q8"), "--quantize", "q8");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--quantize", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "q8")), "nothing may be written");
    }

    [Fact]
    public async Task Missing_data_file_is_one_clear_error()
    {
        var r = await CliHarness.RunAsync("train", "sft", "--model", ModelFixtures.Dir("qwen2-tiny"), "--data", Path.Combine(_dir, "nope.jsonl"),
            "--output", Path.Combine(_dir, "x"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("nope.jsonl: training data file not found", r.Stderr);
    }
}
