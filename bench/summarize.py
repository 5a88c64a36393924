# summarize.py -- reads a bench/run-engine.sh log and prints, per figure, the median over rounds of each run's
# median (ours, PyTorch, llama.cpp), the ratios to ours, and the other processes' CPU share seen during our runs.
# usage: python3 bench/summarize.py bench/out/run-*.log
import re, statistics, sys
from collections import defaultdict

values = defaultdict(list)   # (tag, figure) -> medians
others = defaultdict(list)   # tag -> others' CPU percentages
rss = defaultdict(list)      # tag -> peak RSS MiB
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"\[(\S+)\] (.*)", line)
    if not m: continue
    tag, text = m.groups()
    if (v := re.search(r"^(prefill|decode|sgemm|numpy sgemm)\b.*?median\s+([\d.]+)", text)):
        values[(tag, v.group(1).replace("numpy ", ""))].append(float(v.group(2)))
        others[tag] += [int(x) for x in re.findall(r"(\d+)%", text.split("others' CPU:")[-1])]
    elif (v := re.search(r"\|\s*(pp\d+|tg\d+)\s*\|\s*([\d.]+)", text)):   # llama-bench markdown row
        values[(tag, "prefill" if v.group(1).startswith("pp") else "decode")].append(float(v.group(2)))
    elif (v := re.search(r"peak RSS \(time\) (\d+) KiB", text)):
        rss[tag].append(int(v.group(1)) / 1024)

def med(tag, fig):
    xs = values.get((tag, fig)); return statistics.median(xs) if xs else None
def fmt(x): return "—" if x is None else f"{x:.1f}"
def ratio(a, b): return "—" if a is None or b is None else f"{a / b:.2f}×"

rows = [("decode tok/s, fp32", "ours-f32", "decode", "torch-decode", "llama-f32", 18),
        ("decode tok/s, bf16 (llama: F16)", "ours-bf16", "decode", None, "llama-F16", 31),
        ("decode tok/s, q8 (llama: Q8_0)", "ours-q8", "decode", None, "llama-Q8_0", 50),
        ("prefill 256 tok/s, fp32", "ours-f32", "prefill", "torch-prefill", "llama-f32", 220),
        ("prefill 256 tok/s, bf16 (llama: F16)", "ours-bf16", "prefill", None, "llama-F16", 220),
        ("prefill 256 tok/s, q8 (llama: Q8_0)", "ours-q8", "prefill", None, "llama-Q8_0", 220),
        ("SGEMM 256x896x4864 GFLOP/s", "ours-gemm", "sgemm", "numpy-gemm", None, 160)]
print(f"{'figure':40s} {'ours':>8s} {'PyTorch/numpy':>14s} {'llama.cpp':>10s} {'ours/peer':>10s} {'ours/llama':>11s} {'target':>7s}")
for name, ours, fig, peer, llama, target in rows:
    o = med(ours, fig); p = med(peer, fig) if peer else None; l = med(llama, fig) if llama else None
    print(f"{name:40s} {fmt(o):>8s} {fmt(p):>14s} {fmt(l):>10s} {ratio(o, p):>10s} {ratio(o, l):>11s} {target:>7}")
for tag in sorted(rss): print(f"peak RSS {tag:14s} {statistics.median(rss[tag]):8.0f} MiB")
for tag in sorted(others): print(f"others' CPU during {tag:14s} median {statistics.median(others[tag]):.0f}% of machine")
