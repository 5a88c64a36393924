#!/usr/bin/env bash
# Batched serving (issue 15 item 4): tokens/s of 1, 4 and 8 concurrent generations against one model, ours (bench/engine
# `batch`: TextGenerator's continuous batching) and llama.cpp's llama-batched-bench, on the same random Qwen2.5-0.5B-shaped
# weights: our bf16 / q8 against llama.cpp's F16 / Q8_0 files, written by our own `ragtune export gguf`.
# Rounds interleave the peers; each line is printed with the load average (the machine is shared).
#   bench/run-batch.sh [--rounds N] [--out DIR] [--gen N] [--ours-only]
# --gen: tokens each stream generates (64; a smaller value for a quick check); --ours-only: skips llama-batched-bench
# (a smoke test of our side, or a loaded machine: llama.cpp collapses under contention). FORMATS lists ours:theirs
# pairs ("-" for no llama.cpp peer); default "bf16:f16 q8:q8_0 f32:-".
# Needs: dotnet; llama.cpp built in $LLAMA_DIR (default /tmp/llama, see bench/run-engine.sh); /usr/bin/python3 to write
# the checkpoint's tokenizer.json (tools/reference/qwen2_tokenizer_json.py) from shared/testdata's Qwen2 vocabulary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=2
GEN=64
OURS_ONLY=0
OUT=${OUT:-/tmp/ragtune-batch}
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --gen) GEN=$2; shift 2 ;;
    --ours-only) OURS_ONLY=1; shift ;;
    *) echo "usage: bench/run-batch.sh [--rounds N] [--out DIR] [--gen N] [--ours-only]" >&2; exit 2 ;;
  esac
done
LLAMA_DIR=${LLAMA_DIR:-/tmp/llama}
THREADS=${THREADS:-2}
TOKENIZER=${TOKENIZER:-/work/shared/testdata/tokenizers/qwen2}
FORMATS=${FORMATS:-bf16:f16 q8:q8_0 f32:-}
mkdir -p "$OUT"

dotnet build bench/engine -c Release -v q -nologo > "$OUT/build.log"
BENCH="dotnet bench/engine/bin/Release/net10.0/RagTune.Bench.Engine.dll"
RAGTUNE="dotnet src/RagTune.Cli/bin/Release/net10.0/ragtune.dll"
$BENCH checkpoint "$OUT/qwen-f32" f32
[ -f "$OUT/qwen-f32/tokenizer.json" ] || /usr/bin/python3 tools/reference/qwen2_tokenizer_json.py "$TOKENIZER" "$OUT/qwen-f32"
if [ "$OURS_ONLY" = 0 ]; then
  for f in $FORMATS; do
    t=${f##*:}
    [ "$t" = - ] || [ -f "$OUT/$t.gguf" ] && continue
    [ -n "${CLI_BUILT:-}" ] || { dotnet build src/RagTune.Cli -c Release -v q -nologo >> "$OUT/build.log"; CLI_BUILT=1; }
    $RAGTUNE export gguf --model "$OUT/qwen-f32" --type "$t" --out "$OUT/$t.gguf" > "$OUT/export-$t.log"
  done
fi

echo "cpu flags: $(grep -o -w -E 'avx2|avx512f|avx512bw|avx512vl|avx512_bf16|avx512_vnni|avx512vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "cpus: $(nproc), threads: $THREADS"
for round in $(seq 1 "$ROUNDS"); do
  for f in $FORMATS; do
    ours=${f%%:*}; theirs=${f##*:}
    echo "== round $round, ours $ours, load $(cut -d' ' -f1-3 /proc/loadavg)"
    RAGTUNE_THREADS=$THREADS $BENCH batch "$OUT/qwen-f32" --format "$ours" --prompt 128 --gen "$GEN" --streams 1,4,8 --trials 1
    [ "$OURS_ONLY" = 1 ] || [ "$theirs" = - ] && continue
    echo "== round $round, llama.cpp $theirs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$LLAMA_DIR/build/bin/llama-batched-bench" -m "$OUT/$theirs.gguf" -c 4096 -b 2048 -ub 512 -npp 128 -ntg "$GEN" -npl 1,4,8 -t "$THREADS" 2>/dev/null | grep -E '^\|'
  done
done
