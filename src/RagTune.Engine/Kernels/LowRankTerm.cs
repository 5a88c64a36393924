// A LoRA adapter's matrices as the decode kernels read them: A [Rank, In] and B [Out, Rank] row-major (PEFT's lora_A /
// lora_B weights, the same arrays, so training updates are seen) and the scale of its update y += Scale·B·(A·x).
namespace RagTune.Engine.Kernels;

internal sealed record LowRankTerm(float[] A, float[] B, int Rank, int In, int Out, float Scale);
