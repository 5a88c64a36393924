# summarize.py -- reads a bench/run-engine.sh log and prints, per figure and context, the median over rounds of each
# run's median (ours, llama.cpp, PyTorch), every round's value, the ratios to ours and issue 15's targets, and the load.
# usage: python3 bench/summarize.py bench/out/run-*.log
import re, statistics, sys
from collections import defaultdict

values = defaultdict(list)   # (tag, figure, context) -> one median per run
others = defaultdict(list)   # tag -> others' CPU percentages
rss = defaultdict(list)      # tag -> peak RSS MiB
loads, adapter = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("## "):
        if (m := re.search(r"load: ([\d.]+) ([\d.]+) ([\d.]+)", line)): loads.append(line.strip())
        continue
    m = re.match(r"\[(\S+)\] (.*)", line)
    if not m: continue
    tag, text = m.groups()
    if (v := re.search(r"^prefill (\d+) tokens.*?median\s+([\d.]+)", text)):
        values[(tag, "prefill", int(v.group(1)))].append(float(v.group(2)))
    elif (v := re.search(r"^decode \d+ tokens \(ctx (\d+)->.*?median\s+([\d.]+)", text)):
        values[(tag, "decode", int(v.group(1)))].append(float(v.group(2)))
    elif (v := re.search(r"^(?:numpy )?sgemm\b.*?median\s+([\d.]+)", text)):
        values[(tag, "sgemm", 0)].append(float(v.group(1)))
    elif (v := re.search(r"^adapter / base decode: ([\d.]+) \(medians, wall clock\)", text)):
        adapter.append(float(v.group(1)))
    elif (v := re.search(r"\|\s*pp(\d+)\s*\|\s*([\d.]+)", text)):   # llama-bench markdown rows
        values[(tag, "prefill", int(v.group(1)))].append(float(v.group(2)))
    elif (v := re.search(r"\|\s*tg\d+ @ d(\d+)\s*\|\s*([\d.]+)", text)):
        values[(tag, "decode", int(v.group(1)))].append(float(v.group(2)))
    elif (v := re.search(r"peak RSS \(time\) (\d+) KiB", text)):
        rss[tag].append(int(v.group(1)) / 1024)
    if "others' CPU:" in text:
        others[tag] += [int(x) for x in re.findall(r"(\d+)%", text.split("others' CPU:")[-1])]

def med(key):
    xs = values.get(key); return statistics.median(xs) if xs else None
def fmt(x): return "—" if x is None else f"{x:.1f}"
def rounds(key): return ", ".join(f"{x:.1f}" for x in values.get(key, []))
def ratio(a, b): return None if a is None or b is None else a / b

# A round whose 1-minute load average exceeded the core count is not evidence for or against a target: with more
# runnable threads than cores, each side's threads wait on each other at every barrier (llama.cpp's spin-waiting ones
# most of all), and the ratio measures the scheduler, not the kernels.
import os
cores = os.cpu_count() or 1
loaded = any(float(re.search(r"load: ([\d.]+)", l).group(1)) > cores for l in loads)
contexts = sorted({c for (_, f, c) in values if f in ("prefill", "decode")})
targets = {("prefill", "f32"): 1.2, ("prefill", "bf16"): 1.1, ("prefill", "q8"): 1.2,
           ("decode", "f32"): 1.2, ("decode", "bf16"): 1.2, ("decode", "q8"): 1.2}
print("| figure | ours (median; rounds) | llama.cpp (median; rounds) | ours / llama.cpp | issue 15 target | forced AVX2 (ours) |")
print("|---|---|---|---|---|---|")
for fig in ("prefill", "decode"):
    for fmt_name, quant in (("f32", "f32"), ("bf16", "F16"), ("q8", "Q8_0")):
        for ctx in contexts:
            o, l = ("ours-" + fmt_name, fig, ctx), ("llama-" + quant, fig, ctx)
            r = ratio(med(o), med(l))
            t = targets[(fig, fmt_name)]
            met = "—" if r is None else "not evidence (loaded)" if loaded else ("met" if r >= t else "not met")
            avx2 = med(("ours256-" + fmt_name, fig, ctx))
            label = f"{fig} tok/s, {fmt_name} vs {quant}, " + (f"{ctx}-token prompt" if fig == "prefill" else f"from ctx {ctx}")
            print(f"| {label} | {fmt(med(o))} ({rounds(o)}) | {fmt(med(l))} ({rounds(l)}) | "
                  f"{'—' if r is None else f'{r:.2f}×'} | ≥ {t}× — {met} | {fmt(avx2)} |")
g, n = ("ours-gemm", "sgemm", 0), ("numpy-gemm", "sgemm", 0)
print(f"| SGEMM 256×896×4864 GFLOP/s | {fmt(med(g))} ({rounds(g)}) | numpy {fmt(med(n))} | — | ≥ 300 — "
      f"{'—' if med(g) is None else 'not evidence (loaded)' if loaded else ('met' if med(g) >= 300 else 'not met')} | |")
if adapter:
    print(f"\nadapter r=8 / base decode (q8, wall clock, per round): {', '.join(f'{a:.3f}' for a in adapter)}; "
          f"median {statistics.median(adapter):.3f} (issue 14 target ≥ 0.9)")
print()
for tag in sorted(rss): print(f"peak RSS {tag:14s} {statistics.median(rss[tag]):8.0f} MiB")
for tag in sorted(others): print(f"others' CPU during {tag:14s} median {statistics.median(others[tag]):.0f}% of machine")
for l in loads: print(l)
