#!/bin/sh
# Runs the C# LoRA step and the PyTorch reference side by side, interleaved (C#, torch, C#, torch), each printing its median,
# then the memory variants of the C# step: activation recomputation, a bf16 base read in place, both. STEPS=6 by default.
set -e
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-6}
dotnet build -c Release bench/training >/dev/null
BENCH="dotnet bench/training/bin/Release/net10.0/RagTune.Bench.Training.dll --steps $STEPS"
for i in 1 2; do
  $BENCH
  /usr/bin/python3 tools/reference/qwen_torch.py lora --threads 2 --steps "$STEPS"
done
$BENCH --recompute on
$BENCH --dtype bf16
$BENCH --dtype bf16 --recompute on
