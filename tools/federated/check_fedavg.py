"""Checks an aggregate against a hand FedAvg: Σ n_i·x_i / Σ n_i per tensor, in float64, over what the sites sent.

Each folder is a PEFT adapter (adapter_model.safetensors, tensors in sorted key order) or a folder of tensor-NNN.npy.

  /usr/bin/python3 tools/federated/check_fedavg.py --site siteA/rounds/round-0001/adapter 4 \
      --site py/fit-001/sent 10 --global fed/rounds/round-0001
"""
import argparse
import glob
import os
import sys

import numpy as np

from interop import read_adapter


def load(directory):
    if os.path.exists(os.path.join(directory, "adapter_model.safetensors")):
        return read_adapter(directory)
    paths = sorted(glob.glob(os.path.join(directory, "tensor-*.npy")))
    if not paths:
        sys.exit(f"{directory}: neither adapter_model.safetensors nor tensor-*.npy")
    return [np.load(p, allow_pickle=False) for p in paths]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", nargs=2, action="append", metavar=("DIR", "NUM_EXAMPLES"), required=True)
    parser.add_argument("--global", dest="aggregate", required=True, metavar="DIR")
    args = parser.parse_args()

    sites = [(load(d), int(n)) for d, n in args.site]
    aggregate = load(args.aggregate)
    total = sum(n for _, n in sites)
    for directory, (arrays, _) in zip((d for d, _ in args.site), sites):
        if len(arrays) != len(aggregate):
            sys.exit(f"{directory}: {len(arrays)} tensors, the aggregate has {len(aggregate)}")
    hand = [sum(arrays[i].astype(np.float64) * n for arrays, n in sites) / total for i in range(len(aggregate))]
    diff = max(float(np.max(np.abs(a.astype(np.float64) - h))) for a, h in zip(aggregate, hand))
    rounded = all(np.array_equal(a, h.astype(a.dtype)) for a, h in zip(aggregate, hand))
    print(f"{len(aggregate)} tensors, {len(sites)} sites, {total} examples; aggregate dtypes "
          f"{sorted({str(a.dtype) for a in aggregate})}; max |aggregate - hand FedAvg (float64)| = {diff:.3g}; "
          f"equal to the hand FedAvg rounded to the aggregate's dtype: {rounded}")


if __name__ == "__main__":
    main()
