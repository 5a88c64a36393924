// A PEFT LoRA adapter for the tiny Qwen2 fixture, written once per test run with the engine's PEFT writer: every
// projection targeted, A as PEFT initialises it (seeded), B deterministic and non-zero, so the adapter changes the answers.
using RagTune.Engine.Models;
using RagTune.Engine.Training;

namespace RagTune.Server.Tests;

public static class TestAdapter
{
    private static readonly Lazy<string> Written = new(() => Write("tiny-lora", 7, 0.37f));
    private static readonly Lazy<string> WrittenSecond = new(() => Write("tiny-lora-b", 8, 0.91f));

    /// <summary>The adapter folder (adapter_config.json + adapter_model.safetensors) under the test output directory.</summary>
    public static string Path => Written.Value;

    /// <summary>A second adapter for the same base, with other weights (so it answers differently from the first).</summary>
    public static string SecondPath => WrittenSecond.Value;

    private static string Write(string name, int seed, float frequency)
    {
        string dir = TestServer.Data("generated/" + name);
        var model = DecoderModel.Load(TestServer.ChatModelPath);
        var options = new LoraOptions { Rank = 4, Alpha = 16 };
        var adapters = PeftAdapter.CreateNew(model.LayerLinears, options, new Random(seed));
        int k = 0;
        foreach (var (_, a) in adapters.Modules)
            for (int i = 0; i < a.B.Length; i++)
                a.B[i] = 0.5f * MathF.Sin(frequency * i + k++);
        PeftAdapter.Save(dir, adapters, options, "qwen2-tiny");
        return dir;
    }
}
