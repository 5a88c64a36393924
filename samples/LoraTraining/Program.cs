// Quick start: LoRA fine-tuning of a local model on chat JSONL (the format `ragtune raft export` writes), saved as a
// PEFT adapter (adapter_config.json + adapter_model.safetensors, loadable by PEFT, `ragtune serve` and `ragtune adapter
// merge`). MODEL_DIR is a Hugging Face decoder checkpoint folder.
using System.Text.Json;
using RagTune.Engine.Training;

string modelDir = Environment.GetEnvironmentVariable("MODEL_DIR")
    ?? throw new InvalidOperationException("Set MODEL_DIR to a model folder (config.json, *.safetensors, tokenizer).");
string work = Path.Combine(Path.GetTempPath(), $"ragtune-sample-lora-{Guid.NewGuid():N}");
Directory.CreateDirectory(work);
try
{
    // Two chat examples, one JSON object per line: {"messages":[{"role":..., "content":...}, ...]}.
    string data = Path.Combine(work, "train.jsonl");
    string[] examples =
    [
        Chat("What is the default LoRA rank?", "The default rank is 8."),
        Chat("默认的 LoRA 秩是多少？", "默认秩是 8。"),
    ];
    await File.WriteAllLinesAsync(data, examples);

    var trainer = new SftTrainer(new SftTrainingOptions
    {
        ModelPath = modelDir,
        DataPath = data,
        OutputDirectory = Path.Combine(work, "run"),
        Lora = new LoraOptions { Rank = 8, Alpha = 16 },
        MaxSteps = 6,
        LearningRate = 5e-3f,
    });
    var result = await trainer.RunAsync(new Progress<TrainingProgress>());
    Console.WriteLine($"trained {result.Steps} steps on {result.TrainSamples} samples; loss {result.Losses[0]:0.00} -> {result.Losses[^1]:0.00}");
    Console.WriteLine($"loss went down: {result.Losses[^1] < result.Losses[0]}");
    Console.WriteLine($"adapter files: {string.Join(" ", Directory.GetFiles(result.OutputPath).Select(Path.GetFileName).Order(StringComparer.Ordinal))}");
}
finally
{
    Directory.Delete(work, recursive: true);
}

static string Chat(string question, string answer) => JsonSerializer.Serialize(new
{
    messages = new[] { new { role = "user", content = question }, new { role = "assistant", content = answer } },
});
