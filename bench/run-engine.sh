#!/usr/bin/env bash
# The engine benchmark in one command (results and how to read them: bench/RESULTS.md).
#   bench/run-engine.sh [--rounds N] [--no-llama] [--no-torch]
# Creates (or reuses) random-weight checkpoints of the Qwen2.5-0.5B shape in the Hugging Face layout (F32 ~2 GB and
# BF16 ~1 GB under $BENCH_OUT, default bench/out, git-ignored), then runs N interleaved rounds of: our SGEMM vs
# numpy/OpenBLAS at 256x896x4864; our prefill (256-token prompt) and decode (64 tokens) for f32 / bf16 / q8; the
# PyTorch peer (tools/reference/bench_qwen_torch.py) on the same weights; llama.cpp's llama-bench on the same weights
# as F32 / F16 / Q8_0 GGUF. Finally bench/summarize.py prints medians over rounds and the ratios.
# llama.cpp is built once outside the repository in $LLAMA_DIR (default /tmp/llama) from the source that npm's
# node-llama-cpp@3.22.1 ships (~5 min on 2 idle cores). Each peer runs at its own defaults: the PyTorch and numpy peers
# get OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=2 (their OpenMP threads would otherwise spin against ours), llama.cpp
# gets neither (PASSIVE cost it 12-24 % of its decode speed, bench/RESULTS.md). RAGTUNE_VECTOR_WIDTH=256 in the
# environment runs our side on the AVX2 path (each of our runs prints the path and the CPU's flags first).
# Needs: dotnet, /usr/bin/python3 with torch + numpy (+ yaml for gguf-py), libopenblas0-pthread, npm, cmake, ninja, g++.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3; LLAMA=1; TORCH=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --no-llama) LLAMA=0; shift ;;
    --no-torch) TORCH=0; shift ;;
    *) echo "usage: bench/run-engine.sh [--rounds N] [--no-llama] [--no-torch]" >&2; exit 2 ;;
  esac
done
OUT=${BENCH_OUT:-bench/out}
LLAMA_DIR=${LLAMA_DIR:-/tmp/llama}
THREADS=${BENCH_THREADS:-2}
# Only for the Python peers (see run_py); llama.cpp and our engine run without it.
PY_PEER_ENV=(env OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS="$THREADS")
mkdir -p "$OUT"
LOG="$OUT/run-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "# bench/run-engine.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) rounds=$ROUNDS $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" | tee "$LOG"
echo "# CPU flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w 'avx2\|fma\|avx512[a-z_0-9]*\|avx_vnni' | tr '\n' ' ')" | tee -a "$LOG"
echo "# load: $(uptime)" | tee -a "$LOG"

dotnet build bench/engine -c Release -v q -nologo | tail -n 2
BENCH=(dotnet bench/engine/bin/Release/net10.0/RagTune.Bench.Engine.dll)
"${BENCH[@]}" checkpoint "$OUT/qwen-f32" f32
"${BENCH[@]}" checkpoint "$OUT/qwen-bf16" bf16

# run TAG COMMAND...: the command's output, each line prefixed with [TAG], plus its peak RSS, appended to the log.
run() {
  local tag=$1; shift
  /usr/bin/time -f "peak RSS (time) %M KiB" "$@" 2>&1 | sed -u "s/^/[$tag] /" | tee -a "$LOG" || echo "[$tag] FAILED" | tee -a "$LOG"
}

if [ "$LLAMA" = 1 ]; then
  if [ ! -x "$LLAMA_DIR/build/bin/llama-bench" ]; then
    mkdir -p "$LLAMA_DIR"
    [ -d "$LLAMA_DIR/node_modules/node-llama-cpp" ] || (cd "$LLAMA_DIR" && npm install --ignore-scripts node-llama-cpp@3.22.1)
    [ -d "$LLAMA_DIR/src" ] || git clone -q "$LLAMA_DIR/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$LLAMA_DIR/src"
    cmake -S "$LLAMA_DIR/src" -B "$LLAMA_DIR/build" -G Ninja -DGGML_NATIVE=ON -DCMAKE_BUILD_TYPE=Release \
      -DLLAMA_CURL=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF > "$LLAMA_DIR/cmake.log"
    ninja -C "$LLAMA_DIR/build" llama-bench llama-quantize > "$LLAMA_DIR/ninja.log"
  fi
  mkdir -p "$OUT/gguf"
  [ -f "$OUT/gguf/f32.gguf" ] || /usr/bin/python3 tools/reference/bench_gguf.py "$OUT/qwen-f32" "$OUT/gguf/f32.gguf" "$LLAMA_DIR/src"
  for q in F16 Q8_0; do
    [ -f "$OUT/gguf/$q.gguf" ] || "$LLAMA_DIR/build/bin/llama-quantize" "$OUT/gguf/f32.gguf" "$OUT/gguf/$q.gguf" "$q" > /dev/null 2>&1
  done
fi

for r in $(seq 1 "$ROUNDS"); do
  echo "## round $r" | tee -a "$LOG"
  run ours-gemm "${BENCH[@]}" gemm
  run numpy-gemm "${PY_PEER_ENV[@]}" /usr/bin/python3 tools/reference/bench_sgemm.py
  run ours-f32 "${BENCH[@]}" model "$OUT/qwen-f32" --format f32
  run ours-bf16 "${BENCH[@]}" model "$OUT/qwen-bf16" --format bf16
  run ours-q8 "${BENCH[@]}" model "$OUT/qwen-f32" --format q8
  if [ "$TORCH" = 1 ]; then
    run torch-prefill "${PY_PEER_ENV[@]}" /usr/bin/python3 tools/reference/bench_qwen_torch.py "$OUT/qwen-f32" prefill --threads "$THREADS"
    run torch-decode "${PY_PEER_ENV[@]}" /usr/bin/python3 tools/reference/bench_qwen_torch.py "$OUT/qwen-f32" decode --threads "$THREADS"
  fi
  if [ "$LLAMA" = 1 ]; then
    for q in f32 F16 Q8_0; do
      run "llama-$q" "$LLAMA_DIR/build/bin/llama-bench" -m "$OUT/gguf/$q.gguf" -t "$THREADS" -p 256 -n 64 -r 2 -o md
    done
  fi
done
python3 bench/summarize.py "$LOG"
