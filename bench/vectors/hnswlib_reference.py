#!/usr/bin/env python3
"""Reference run of hnswlib (Debian python3-hnswlib 0.6.2) on the exact data bench/vectors dumped with --dump DIR:
same vectors, queries, M, efConstruction and efSearch values, cosine space, recall@10 against a numpy exact search.
Used to check that RagTune's HNSW reaches the recall of the reference implementation.
Usage: /usr/bin/python3 bench/vectors/hnswlib_reference.py DIR"""
import json, sys, time
import numpy as np
import hnswlib

d = sys.argv[1]
p = json.load(open(f"{d}/params.json"))
n, dims, nq = p["n"], p["dims"], p["queries"]
data = np.fromfile(f"{d}/data.f32", dtype="<f4").reshape(n, dims)
queries = np.fromfile(f"{d}/queries.f32", dtype="<f4").reshape(nq, dims)

def normalise(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)

sims = normalise(queries) @ normalise(data).T
truth = [set(np.argsort(-row, kind="stable")[:10]) for row in sims]

index = hnswlib.Index(space="cosine", dim=dims)
index.init_index(max_elements=n, M=p["m"], ef_construction=p["efc"], random_seed=1)
index.set_num_threads(1)
t0 = time.process_time()
index.add_items(data, np.arange(n))
build = time.process_time() - t0
print(f"# hnswlib {p['data']} N = {n}, D = {dims}, {nq} queries, cosine, M = {p['m']}, efConstruction = {p['efc']}")
print(f"hnswlib build {build:.1f} s CPU (single thread)")
print("| index | efSearch | recall@10 | QPS per CPU-second |")
print("|---|---:|---:|---:|")
for ef in p["ef"]:
    index.set_ef(ef)
    t0 = time.process_time()
    labels, _ = index.knn_query(queries, k=10)
    cpu = time.process_time() - t0
    recall = sum(len(truth[i] & set(labels[i])) for i in range(nq)) / (10 * nq)
    print(f"| hnswlib | {ef} | {recall:.3f} | {nq / cpu:.0f} |")
