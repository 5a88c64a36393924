#!/bin/sh
# QLoRA on the CPU: peak RSS and s/step of one LoRA step (r=8, 7 projections) over an f32, bf16, q8 and q4_k base on the
# Qwen2.5-0.5B shape, in interleaved rounds (one process per run, so each peak RSS is its own); then the loss curve of a
# q4_k-base run against an f32-base run on the same example (4 layers, 128 tokens). TOKENS=512 ROUNDS=1 STEPS=3
# CURVE_STEPS=10 by default (bench/RESULTS.md: the 2026-12-07 figures ran round 1 plus f32 again as round 2).
set -e
cd "$(dirname "$0")/../.."
TOKENS=${TOKENS:-512}; ROUNDS=${ROUNDS:-1}; STEPS=${STEPS:-3}; CURVE_STEPS=${CURVE_STEPS:-10}
dotnet build -c Release bench/training >/dev/null
BENCH="dotnet bench/training/bin/Release/net10.0/RagTune.Bench.Training.dll"
grep -o -w 'avx512f\|avx512bw\|avx512vl\|avx512_bf16\|avx512_vnni' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
for r in $(seq "$ROUNDS"); do
  for p in f32 bf16 q8 q4_k; do
    echo "== round $r base $p tokens $TOKENS, load $(cut -d' ' -f1-3 /proc/loadavg)"
    $BENCH --steps "$STEPS" --tokens "$TOKENS" --base-precision "$p"
  done
done
for p in f32 q4_k; do
  echo "== loss curve base $p layers 4 tokens 128, load $(cut -d' ' -f1-3 /proc/loadavg)"
  $BENCH --steps "$CURVE_STEPS" --layers 4 --tokens 128 --base-precision "$p"
done
