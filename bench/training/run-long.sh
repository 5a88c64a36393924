#!/bin/sh
# RAFT-length training (issue 15 item 3): one LoRA step (r=8 on the 7 projections, fp32) at 1×TOKENS (2048 by default) on
# the Qwen2.5-0.5B and Qwen3-0.6B shapes, C# and PyTorch interleaved per shape, with the load average before each run.
# PyTorch runs with per-layer checkpointing (HF's gradient_checkpointing): its eager attention keeps [H, T, T] scores per
# layer, ~17 GB at 2,048 tokens on the 0.5B shape without it. The C# graph recomputes by default above 1,024 tokens.
# Peak RSS: VmHWM as each program prints it. STEPS=3 (median of the steps after the first), ROUNDS=1; LAYERS=N trains the
# first N layers only (a 2-layer pair is dominated by the 2,048 × 151,936 LM head; LAYERS=1 TOKENS=32 STEPS=2 is a dry run:
# qwen_torch.py needs a step after the warm-up one).
# Both programs print each step's CPU seconds (user + system): on a shared machine compare those, not wall times.
set -e
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-3}
TOKENS=${TOKENS:-2048}
ROUNDS=${ROUNDS:-1}
LAYERS_ARG=${LAYERS:+--layers $LAYERS}
dotnet build -c Release bench/training >/dev/null
grep -o -w 'avx512[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
BENCH="dotnet bench/training/bin/Release/net10.0/RagTune.Bench.Training.dll --steps $STEPS --tokens $TOKENS $LAYERS_ARG"
TORCH="/usr/bin/python3 tools/reference/qwen_torch.py lora --threads 2 --steps $STEPS --prompt $TOKENS --checkpoint $LAYERS_ARG"
for round in $(seq "$ROUNDS"); do
  for shape in qwen2.5-0.5b qwen3-0.6b; do
    echo "== round $round, $shape, C#; load $(cut -d' ' -f1-3 /proc/loadavg)"
    $BENCH --shape $shape
    echo "== round $round, $shape, PyTorch; load $(cut -d' ' -f1-3 /proc/loadavg)"
    OMP_WAIT_POLICY=PASSIVE $TORCH --shape $shape
  done
done
echo "== done; load $(cut -d' ' -f1-3 /proc/loadavg)"
