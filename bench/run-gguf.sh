#!/usr/bin/env bash
# GGUF decode, ours vs llama.cpp, on a Q4_K_M file of the Qwen2.5-0.5B shape (random weights; results: bench/RESULTS.md).
#   bench/run-gguf.sh [--rounds N] [FILE.gguf]
# Without FILE, makes $BENCH_OUT/gguf/Q4_K_M.gguf the way Ollama's qwen2.5:0.5b is made: bench/run-engine.sh's F32 GGUF
# of the random checkpoint (tools/reference/bench_gguf.py) through llama-quantize Q4_K_M, which for hidden 896 (not whole
# 256-weight super-blocks) writes Q5_0 for most matrices, Q8_0 for attn_v / token_embd and Q4_K / Q6_K for ffn_down.
# Then N interleaved rounds of: our decode (bench/engine `model FILE --prompt 1 --gen 64`, 3 trials, median) and
# `llama-bench -m FILE -p 0 -n 64 -t 2` (llama.cpp at its defaults, no OMP_WAIT_POLICY), each round with the load average.
# RAGTUNE_VECTOR_WIDTH=256 runs our side on the AVX2 path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3; FILE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    *.gguf) FILE=$1; shift ;;
    *) echo "usage: bench/run-gguf.sh [--rounds N] [FILE.gguf]" >&2; exit 2 ;;
  esac
done
OUT=${BENCH_OUT:-bench/out}
LLAMA_DIR=${LLAMA_DIR:-/tmp/llama}
THREADS=${BENCH_THREADS:-2}
if [ -z "$FILE" ]; then
  FILE="$OUT/gguf/Q4_K_M.gguf"
  if [ ! -f "$FILE" ]; then
    [ -f "$OUT/gguf/f32.gguf" ] || { echo "no $OUT/gguf/f32.gguf: run bench/run-engine.sh --rounds 1 first (it writes it)" >&2; exit 1; }
    "$LLAMA_DIR/build/bin/llama-quantize" "$OUT/gguf/f32.gguf" "$FILE" Q4_K_M > /dev/null 2>&1
  fi
fi
echo "# bench/run-gguf.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) rounds=$ROUNDS $FILE, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# CPU flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w 'avx2\|fma\|avx512[a-z_0-9]*\|avx_vnni' | tr '\n' ' ')"
dotnet build bench/engine -c Release -v q -nologo | tail -n 2
BENCH=(dotnet bench/engine/bin/Release/net10.0/RagTune.Bench.Engine.dll)
for r in $(seq 1 "$ROUNDS"); do
  echo "## round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "[ours] peak RSS (time) %M KiB" "${BENCH[@]}" model "$FILE" --prompt 1 --gen 64 --trials 3 2>&1 | grep -E "kernels|loaded|decode|RSS" | sed 's/^/[ours] /'
  "$LLAMA_DIR/build/bin/llama-bench" -m "$FILE" -p 0 -n 64 -t "$THREADS" -r 1 -o md 2>&1 | grep -E "tg64" | sed 's/^/[llama] /'
done
