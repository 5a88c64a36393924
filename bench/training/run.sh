#!/bin/sh
# Runs the C# LoRA step and the PyTorch reference side by side, interleaved (C#, torch, C#, torch), each printing its median.
set -e
cd "$(dirname "$0")/../.."
dotnet build -c Release bench/training >/dev/null
for i in 1 2; do
  dotnet bench/training/bin/Release/net10.0/RagTune.Bench.Training.dll --steps 6
  /usr/bin/python3 tools/reference/qwen_torch.py lora --threads 2 --steps 6
done
