# bench_sgemm.py -- numpy/OpenBLAS sgemm at the prefill shape, the peer for `bench/engine gemm` (adapted from the
# team's shared np_sgemm.py). Prints median/best GFLOP/s and the other processes' CPU share during each trial.
# usage: OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench_sgemm.py [M K N]
import os, sys, time
import numpy as np

def sample():
    with open('/proc/stat') as f: v = [int(x) for x in f.readline().split()[1:]]
    with open('/proc/self/stat') as f: s = f.read().rsplit(')', 1)[1].split()
    return sum(v), sum(v) - v[3] - v[4], int(s[11]) + int(s[12])

m, k, n = (int(a) for a in sys.argv[1:4]) if len(sys.argv) >= 4 else (256, 896, 4864)
rng = np.random.default_rng(0)
A = rng.standard_normal((m, k), dtype=np.float32); B = rng.standard_normal((k, n), dtype=np.float32); C = np.empty((m, n), np.float32)
flop = 2.0 * m * k * n; reps = max(1, int(2e9 / flop))
np.matmul(A, B, out=C); np.matmul(A, B, out=C)
rates, oth, cpu = [], [], []
for _ in range(9):
    a = sample(); t = time.perf_counter(); c = time.thread_time()
    for _ in range(reps): np.matmul(A, B, out=C)
    rates.append(flop * reps / (time.perf_counter() - t) / 1e9); cpu.append(flop * reps / (time.thread_time() - c) / 1e9); b = sample()
    oth.append(max(0, (b[1] - a[1]) - (b[2] - a[2])) / max(1, b[0] - a[0]))
r = sorted(rates)
print(f"{'numpy sgemm %dx%d @ %dx%d, %s threads' % (m, k, k, n, os.environ.get('OPENBLAS_NUM_THREADS', '?')):48s} median {r[len(r)//2]:9.2f} GFLOP/s  best {r[-1]:.2f}  worst {r[0]:.2f}  (others' CPU: {' '.join(f'{100*o:.0f}%' for o in oth)} of machine)")
# With one thread OpenBLAS works on the calling thread: FLOP per second of its CPU time is the speed per core even on
# a loaded machine (the same figure `bench/engine gemm` prints with RAGTUNE_THREADS=1).
if os.environ.get('OPENBLAS_NUM_THREADS') == '1':
    r = sorted(cpu)
    print(f"{'  per second of this thread CPU time':48s} median {r[len(r)//2]:9.2f} GFLOP/s  best {r[-1]:.2f}  worst {r[0]:.2f}")
