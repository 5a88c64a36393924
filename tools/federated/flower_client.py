"""A real Flower NumPyClient (flwr.client.start_numpy_client) with a deterministic stand-in for training.

For interop checks in both directions: against a Python Flower server (tools/federated/flower_server.py) or against
RagTune's own aggregator (`ragtune fed serve`). fit() returns the received tensors plus a seeded perturbation (same
dtype and shapes), `--num-examples` and {"loss": mean square of the update}; evaluate() returns the mean square of the
received tensors as the loss. Every round it writes what it received and what it sent:
  OUT/fit-NNN/received/tensor-III.npy, OUT/fit-NNN/sent/tensor-III.npy, OUT/fit-NNN/config.json
so an aggregator's output can be checked against a hand FedAvg.

Initial tensors (when the server asks GetParameters first): --adapter DIR (a PEFT adapter's tensors in sorted key
order, the RagTune site's parameter order) or --shapes 8x4,4x8 (seeded normal values).

  PYTHONPATH=... /usr/bin/python3 tools/federated/flower_client.py --address 127.0.0.1:8080 --seed 1 --out /tmp/site-py \
      [--site-key KEY] [--root-cert ca.pem] [--dtype float16]
"""
import argparse
import collections
import json
import os

import grpc
import numpy as np

import flwr
from flwr.client import NumPyClient, start_numpy_client
from flwr.client.grpc_client import connection as flower_connection

from interop import flower_source, read_adapter, save_arrays


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials",
                                                            "wait_for_ready", "compression")), grpc.ClientCallDetails):
    pass


class SiteKeyInterceptor(grpc.StreamStreamClientInterceptor):
    """Adds `x-ragtune-site-key` to the Join stream's request metadata (stock Flower clients send no credentials)."""

    def __init__(self, key):
        self.key = key

    def intercept_stream_stream(self, continuation, details, request_iterator):
        metadata = list(details.metadata or []) + [("x-ragtune-site-key", self.key)]
        return continuation(_CallDetails(details.method, details.timeout, metadata, details.credentials,
                                         details.wait_for_ready, details.compression), request_iterator)


class DummySite(NumPyClient):
    def __init__(self, initial, seed, num_examples, step, dtype, out):
        self.current = initial
        self.seed = seed
        self.num_examples = num_examples
        self.step = step
        self.dtype = dtype
        self.out = out
        self.fits = 0

    def get_parameters(self, config):
        print(f"get_parameters config={config}: {len(self.current)} tensors", flush=True)
        return [a.astype(self.dtype) if self.dtype else a for a in self.current]

    def fit(self, parameters, config):
        self.fits += 1
        rng = np.random.default_rng(self.seed * 1000 + self.fits)
        sent = [(p.astype(np.float32) + self.step * rng.standard_normal(p.shape).astype(np.float32))
                .astype(self.dtype or p.dtype) for p in parameters]
        loss = float(np.mean([np.mean((s.astype(np.float64) - p.astype(np.float64)) ** 2)
                              for s, p in zip(sent, parameters)]))
        directory = os.path.join(self.out, f"fit-{self.fits:03d}")
        save_arrays(os.path.join(directory, "received"), parameters)
        save_arrays(os.path.join(directory, "sent"), sent)
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump({k: (v if not isinstance(v, bytes) else v.hex()) for k, v in config.items()}, f, indent=1)
        print(f"fit {self.fits}: config={config} received {len(parameters)} tensors "
              f"dtypes={sorted({str(p.dtype) for p in parameters})} -> num_examples={self.num_examples} loss={loss:.6g}",
              flush=True)
        self.current = sent
        return sent, self.num_examples, {"loss": loss}

    def evaluate(self, parameters, config):
        loss = float(np.mean([np.mean(p.astype(np.float64) ** 2) for p in parameters]))
        print(f"evaluate: config={config} loss={loss:.6g}", flush=True)
        return loss, self.num_examples, {"mean_square": loss}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:8080")
    parser.add_argument("--adapter", help="initial tensors from this PEFT adapter folder (sorted keys)")
    parser.add_argument("--shapes", default="8x4,4x8", help="initial tensors' shapes when no --adapter")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--num-examples", type=int, default=10)
    parser.add_argument("--step", type=float, default=0.01, help="scale of the stand-in update")
    parser.add_argument("--dtype", choices=["float32", "float16"], help="send this dtype (default: as received)")
    parser.add_argument("--site-key", help="send x-ragtune-site-key (RagTune's aggregator)")
    parser.add_argument("--root-cert", help="PEM CA file: connect over TLS")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    if args.adapter:
        initial = read_adapter(args.adapter)
    else:
        rng = np.random.default_rng(args.seed)
        initial = [rng.standard_normal([int(d) for d in s.split("x")]).astype(np.float32) for s in args.shapes.split(",")]
    if args.site_key:
        create_channel = flower_connection.create_channel

        def with_key(*a, **k):
            return grpc.intercept_channel(create_channel(*a, **k), SiteKeyInterceptor(args.site_key))

        flower_connection.create_channel = with_key
    root = open(args.root_cert, "rb").read() if args.root_cert else None
    print(f"flwr {flower_source(flwr)} client -> {args.address} (tls={root is not None}, "
          f"site key={'yes' if args.site_key else 'no'})", flush=True)
    site = DummySite(initial, args.seed, args.num_examples, args.step, args.dtype and np.dtype(args.dtype), args.out)
    start_numpy_client(server_address=args.address, client=site, root_certificates=root)
    print(f"disconnected after {site.fits} fit rounds", flush=True)


if __name__ == "__main__":
    main()
