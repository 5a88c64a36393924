#!/usr/bin/env bash
# Issue 15's "forced-AVX2 path no slower than before", as an A/B in one command: the engine of an earlier commit (default
# d09597e, main when issue 15 was filed, before the 512-bit kernels) against this checkout on the 256-bit path
# (RAGTUNE_VECTOR_WIDTH=256) and, where the CPU has AVX-512, on the 512-bit path. Per round and weight format the three
# runs follow each other (the order rotates from round to round), each `model DIR --format F --prompt P --gen G`, then
# medians over rounds and the ratios are printed. Results: bench/RESULTS.md ("Forced-AVX2 path against the code before
# issue 15").
#   bench/run-width-ab.sh [--rounds N] [--base REV]
# The base commit is built in a detached worktree under ${TMPDIR:-/tmp} (removed at the end). The checkpoint is
# $BENCH_OUT/qwen-f32 (default bench/out), as bench/run-engine.sh writes it; it is written here if missing.
# BENCH_THREADS (2), BENCH_TRIALS (2), BENCH_GEN (32), BENCH_PROMPT (256) and BENCH_FORMATS ("f32 bf16 q8") as in
# run-engine.sh. With BENCH_THREADS=1 each run also prints tokens per second of its one thread's CPU time (prefill on
# every commit; decode where the bench has that line), which holds on a shared machine where wall clock does not.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3; BASE=d09597e
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --base) BASE=$2; shift 2 ;;
    *) echo "usage: bench/run-width-ab.sh [--rounds N] [--base REV]" >&2; exit 2 ;;
  esac
done
OUT=${BENCH_OUT:-bench/out}
THREADS=${BENCH_THREADS:-2}; TRIALS=${BENCH_TRIALS:-2}; GEN=${BENCH_GEN:-32}; PROMPT=${BENCH_PROMPT:-256}
FORMATS=${BENCH_FORMATS:-f32 bf16 q8}
OLD_TREE=$(mktemp -d "${TMPDIR:-/tmp}/ragtune-ab-XXXXXX")
trap 'git worktree remove --force "$OLD_TREE" 2>/dev/null || rm -rf "$OLD_TREE"' EXIT
git worktree add -q --detach "$OLD_TREE" "$BASE"
dotnet build "$OLD_TREE/bench/engine" -c Release -v q -nologo | tail -n 2
dotnet build bench/engine -c Release -v q -nologo | tail -n 2
OLD=(dotnet "$OLD_TREE/bench/engine/bin/Release/net10.0/RagTune.Bench.Engine.dll")
NEW=(dotnet bench/engine/bin/Release/net10.0/RagTune.Bench.Engine.dll)
mkdir -p "$OUT"
"${NEW[@]}" checkpoint "$OUT/qwen-f32" f32
SIDES="old new256"
if grep -q -w avx512f /proc/cpuinfo; then SIDES="$SIDES new512"; fi
LOG="$OUT/width-ab-$(date -u +%Y%m%dT%H%M%SZ).log"
{
  echo "# bench/run-width-ab.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) base=$(git rev-parse --short "$BASE") head=$(git rev-parse --short HEAD) rounds=$ROUNDS threads=$THREADS"
  echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "# CPU flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w 'avx2\|fma\|avx512[a-z_0-9]*\|avx_vnni' | tr '\n' ' ')"
} | tee "$LOG"
export RAGTUNE_THREADS=$THREADS
for r in $(seq "$ROUNDS"); do
  # Rotate the order so that no side is always first after a format change.
  set -- $SIDES; for _ in $(seq $(( (r - 1) % $# ))); do set -- "${@:2}" "$1"; done; order="$*"
  for f in $FORMATS; do
    for side in $order; do
      case $side in
        old) cmd=("${OLD[@]}") ;;
        new256) cmd=(env RAGTUNE_VECTOR_WIDTH=256 "${NEW[@]}") ;;
        new512) cmd=(env RAGTUNE_VECTOR_WIDTH=512 "${NEW[@]}") ;;
      esac
      echo "[$side-$f] round $r load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"
      "${cmd[@]}" model "$OUT/qwen-f32" --format "$f" --prompt "$PROMPT" --gen "$GEN" --trials "$TRIALS" 2>&1 \
        | grep -E 'tok/s' | sed -u "s/^/[$side-$f] /" | tee -a "$LOG" || echo "[$side-$f] FAILED" | tee -a "$LOG"
    done
  done
done

# Medians over rounds of each run's median, and the ratios new256/old and new512/new256.
/usr/bin/python3 - "$LOG" <<'EOF'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"\[(\w+)-(\w+)\] (.*?)\s+median\s+([\d.]+) tok/s", line)
    if not m: continue
    side, fmt, what, value = m.groups()
    what = "prefill" if what.startswith("prefill") else "decode" if what.startswith("decode") else last + " per CPU-s"
    if not what.endswith("CPU-s"): last = what
    runs.setdefault((fmt, what), {}).setdefault(side, []).append(float(value))
print(f"{'figure':28} {'old':>9} {'new256':>9} {'new512':>9} {'256/old':>8} {'512/256':>8}   (medians over rounds, tok/s)")
for (fmt, what), sides in runs.items():
    med = {s: statistics.median(v) for s, v in sides.items()}
    o, a, b = med.get("old"), med.get("new256"), med.get("new512")
    cell = lambda v: f"{v:9.1f}" if v else f"{'-':>9}"
    ratio = lambda x, y: f"{x / y:8.3f}" if x and y else f"{'-':>8}"
    print(f"{fmt + ' ' + what:28} {cell(o)} {cell(a)} {cell(b)} {ratio(a, o)} {ratio(b, a)}")
EOF
echo "log: $LOG"
