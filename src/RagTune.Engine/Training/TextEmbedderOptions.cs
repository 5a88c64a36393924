// How EmbeddingModels.LoadEmbedder builds a TextEmbedder: truncation length and a LoRA adapter to merge into the base weights.
namespace RagTune.Engine.Training;

public sealed record TextEmbedderOptions
{
    /// <summary>The most tokens per text (special tokens included); longer texts are cut keeping their final special
    /// token. Null: the model's positions, or the tokenizer's model_max_length when that is smaller.</summary>
    public int? MaxLength { get; init; }

    /// <summary>A PEFT LoRA adapter folder (from `train embed --lora` / `train lsr --lora`) merged into the base weights at
    /// load (W ← W + scale·B·A), so embedding costs what the base model costs.</summary>
    public string? AdapterDirectory { get; init; }
}
