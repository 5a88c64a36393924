#!/usr/bin/env bash
# The engine benchmark in one command (results and how to read them: bench/RESULTS.md).
#   bench/run-engine.sh [--rounds N] [--no-llama] [--no-torch] [--avx2] [--adapter]
# Creates (or reuses) random-weight checkpoints of the Qwen2.5-0.5B shape in the Hugging Face layout (F32 ~2 GB and
# BF16 ~1 GB under $BENCH_OUT, default bench/out, git-ignored), then runs N interleaved rounds of: our SGEMM vs
# numpy/OpenBLAS at 256x896x4864; per weight format (f32 / bf16 / q8 against llama.cpp's F32 / F16 / Q8_0 GGUF of the
# same weights), our prefill of a 256- and a 2,048-token prompt and decode of 64 tokens from that context, then
# llama-bench's pp256/pp2048 and tg64 at depth 256/2048 (the same contexts: decode is timed from the same context on
# both sides); the PyTorch peer (tools/reference/bench_qwen_torch.py). Ours and llama.cpp alternate which goes first
# from round to round. --avx2 adds our 256-token runs with RAGTUNE_VECTOR_WIDTH=256 (the forced AVX2 path) each round;
# --adapter adds base vs LoRA r=8 decode (q8, 2 threads). BENCH_CONTEXTS (default "256 2048"), BENCH_FORMATS
# (default "f32 bf16 q8"), BENCH_TRIALS (2), BENCH_GEN (64 decoded tokens) and BENCH_THREADS (2) shorten a run.
# Finally bench/summarize.py prints medians over rounds and the ratios.
# llama.cpp is built once outside the repository in $LLAMA_DIR (default /tmp/llama) from the source that npm's
# node-llama-cpp@3.22.1 ships (~5 min on 2 idle cores). Each peer runs at its own defaults: the PyTorch and numpy peers
# get OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=2 (their OpenMP threads would otherwise spin against ours), llama.cpp
# gets neither (PASSIVE cost it 12-24 % of its decode speed, bench/RESULTS.md). RAGTUNE_VECTOR_WIDTH=256 in the
# environment runs our side on the AVX2 path (each of our runs prints the path and the CPU's flags first).
# Needs: dotnet, /usr/bin/python3 with torch + numpy (+ yaml for gguf-py), libopenblas0-pthread, npm, cmake, ninja, g++.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3; LLAMA=1; TORCH=1; AVX2=0; ADAPTER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --no-llama) LLAMA=0; shift ;;
    --no-torch) TORCH=0; shift ;;
    --avx2) AVX2=1; shift ;;
    --adapter) ADAPTER=1; shift ;;
    *) echo "usage: bench/run-engine.sh [--rounds N] [--no-llama] [--no-torch] [--avx2] [--adapter]" >&2; exit 2 ;;
  esac
done
CONTEXTS=${BENCH_CONTEXTS:-256 2048}
TRIALS=${BENCH_TRIALS:-2}   # timed trials per run (each side also runs its warm-up)
GEN=${BENCH_GEN:-64}        # tokens decoded per trial
FORMATS=${BENCH_FORMATS:-f32 bf16 q8}
OUT=${BENCH_OUT:-bench/out}
LLAMA_DIR=${LLAMA_DIR:-/tmp/llama}
THREADS=${BENCH_THREADS:-2}
export RAGTUNE_THREADS=$THREADS   # our side on as many threads as the peers
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

CSV=$(echo $CONTEXTS | tr ' ' ',')
ours() {  # ours FORMAT DIR: prefill + decode from each context
  for ctx in $CONTEXTS; do
    run "ours-$1" "${BENCH[@]}" model "$2" --format "$1" --prompt "$ctx" --gen "$GEN" --trials "$TRIALS"
  done
}
llama() {  # llama QUANT: ppN from an empty cache, tg64 at depth N (after an untimed N-token prefill)
  run "llama-$1" "$LLAMA_DIR/build/bin/llama-bench" -m "$OUT/gguf/$1.gguf" -t "$THREADS" -p "$CSV" -n 0 -r "$TRIALS" -o md
  run "llama-$1" "$LLAMA_DIR/build/bin/llama-bench" -m "$OUT/gguf/$1.gguf" -t "$THREADS" -p 0 -n "$GEN" -d "$CSV" -r "$TRIALS" -o md
}
for r in $(seq 1 "$ROUNDS"); do
  echo "## round $r  load: $(cat /proc/loadavg)" | tee -a "$LOG"
  run ours-gemm "${BENCH[@]}" gemm
  if [ "$TORCH" = 1 ]; then run numpy-gemm "${PY_PEER_ENV[@]}" /usr/bin/python3 tools/reference/bench_sgemm.py; fi
  for f in $FORMATS; do
    case $f in f32) set -- f32 qwen-f32 f32 ;; bf16) set -- bf16 qwen-bf16 F16 ;; q8) set -- q8 qwen-f32 Q8_0 ;; esac
    if [ "$LLAMA" = 1 ] && [ $((r % 2)) = 0 ]; then llama "$3"; fi
    ours "$1" "$OUT/$2"
    if [ "$LLAMA" = 1 ] && [ $((r % 2)) = 1 ]; then llama "$3"; fi
    if [ "$AVX2" = 1 ]; then
      run "ours256-$1" env RAGTUNE_VECTOR_WIDTH=256 "${BENCH[@]}" model "$OUT/$2" --format "$1" --prompt 256 --gen "$GEN" --trials "$TRIALS"
    fi
  done
  if [ "$ADAPTER" = 1 ]; then
    run ours-adapter "${BENCH[@]}" model "$OUT/qwen-f32" --format q8 --prompt 256 --gen 64 --trials 5 --adapter 8
  fi
  if [ "$TORCH" = 1 ]; then
    run torch-prefill "${PY_PEER_ENV[@]}" /usr/bin/python3 tools/reference/bench_qwen_torch.py "$OUT/qwen-f32" prefill --threads "$THREADS"
    run torch-decode "${PY_PEER_ENV[@]}" /usr/bin/python3 tools/reference/bench_qwen_torch.py "$OUT/qwen-f32" decode --threads "$THREADS"
  fi
  echo "## end of round $r  load: $(cat /proc/loadavg)" | tee -a "$LOG"
done
python3 bench/summarize.py "$LOG"
