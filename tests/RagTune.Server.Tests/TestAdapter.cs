// A PEFT LoRA adapter for the tiny Qwen2 fixture, written once per test run with the engine's PEFT writer: every
// projection targeted, A as PEFT initialises it (seeded), B deterministic and non-zero, so the adapter changes the answers.
using RagTune.Engine.Models;
using RagTune.Engine.Training;

namespace RagTune.Server.Tests;

public static class TestAdapter
{
    private static readonly Lazy<string> Written = new(Write);

    /// <summary>The adapter folder (adapter_config.json + adapter_model.safetensors) under the test output directory.</summary>
    public static string Path => Written.Value;

    private static string Write()
    {
        string dir = TestServer.Data("generated/tiny-lora");
        var model = DecoderModel.Load(TestServer.ChatModelPath);
        var options = new LoraOptions { Rank = 4, Alpha = 16 };
        PeftAdapter.AttachNew(ParameterSet.DecoderLinears(model), options, new Random(7));
        int k = 0;
        foreach (var lin in ParameterSet.DecoderLinears(model))
            if (lin.Adapter is { } a)
                for (int i = 0; i < a.B.Length; i++)
                    a.B[i] = 0.5f * MathF.Sin(0.37f * i + k++);
        PeftAdapter.Save(dir, ParameterSet.DecoderLinears(model), options, "qwen2-tiny");
        return dir;
    }
}
