// What `ragtune export gguf` is asked to do: which checkpoint (and adapter), which encoding, where to write.
namespace RagTune.Engine.Export;

public sealed record GgufExportOptions
{
    /// <summary>A Hugging Face decoder checkpoint folder (config.json, safetensors, tokenizer.json).</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>A PEFT LoRA adapter folder folded into the weights before export, or null.</summary>
    public string? AdapterDirectory { get; init; }

    public GgufExportType Type { get; init; } = GgufExportType.F16;

    /// <summary>The .gguf file to write; null for &lt;model folder name&gt;-&lt;type&gt;.gguf beside the model folder.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Also write an Ollama Modelfile beside the .gguf file.</summary>
    public bool WriteModelfile { get; init; } = true;
}
