"""A real Flower server (flwr.server.start_server, FedAvg or FedProx) that records every round for interop checks.

Runs Flower's own server code over the legacy gRPC protocol (flwr.proto.FlowerService/Join) and, per round, writes
  OUT/round-NNN/site-K/tensor-III.npy   the bytes each site sent in its FitRes, unchanged (K in the order of the
                                        sites' Flower ids), plus site.json (cid, num_examples, metrics)
  OUT/round-NNN/global/tensor-III.npy   Flower's aggregate (FedAvg's own arithmetic)
and prints Flower's aggregate beside a hand FedAvg of the sites' tensors (float64, weighted by num_examples): the
max |difference| per round. With --adapter-template (a site's PEFT adapter folder: adapter_config.json +
adapter_model.safetensors), the final global tensors are also written as a PEFT adapter in OUT/final-adapter, the
tensors named by the template's keys in sorted order (the site's documented parameter order).

Needs Flower 1.6.0 on PYTHONPATH (tools/federated/flower_env.sh) and Debian's python3:
  PYTHONPATH=$(tools/federated/flower_env.sh FLOWER_GIT /tmp/flwr16) /usr/bin/python3 tools/federated/flower_server.py \
      --address 127.0.0.1:8080 --rounds 2 --min-clients 2 --out /tmp/fed --fit-config local_steps=4
"""
import argparse
import json
import os
import sys

import numpy as np

import flwr
from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server import ServerConfig, start_server
from flwr.server.strategy import FedAvg, FedProx

from interop import flower_source, read_adapter, save_arrays, write_adapter


def parse_scalar(text):
    """key=value values from the command line: int, then float, then true/false, else the string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    return text


def weighted_mean(metrics):
    """Flower's fit/evaluate metrics aggregation: the example-weighted mean of every numeric metric."""
    total = sum(n for n, _ in metrics)
    keys = sorted({k for _, m in metrics for k, v in m.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    return {k: sum(n * m[k] for n, m in metrics if k in m) / total for k in keys} if total else {}


def write_tensors(directory, tensors):
    os.makedirs(directory, exist_ok=True)
    for i, blob in enumerate(tensors):
        with open(os.path.join(directory, f"tensor-{i:03d}.npy"), "wb") as f:
            f.write(blob)


def hand_fedavg(sites):
    """sites: [(arrays, num_examples)] -> the example-weighted mean of each tensor, in float64."""
    total = sum(n for _, n in sites)
    return [sum(arrays[i].astype(np.float64) * n for arrays, n in sites) / total for i in range(len(sites[0][0]))]


def recording(strategy_class):
    class Recording(strategy_class):
        def __init__(self, out, **kwargs):
            super().__init__(**kwargs)
            self.out = out
            self.final = None

        def aggregate_fit(self, server_round, results, failures):
            round_dir = os.path.join(self.out, f"round-{server_round:03d}")
            ordered = sorted(results, key=lambda r: r[0].cid)
            sites = []
            for k, (proxy, res) in enumerate(ordered):
                write_tensors(os.path.join(round_dir, f"site-{k}"), res.parameters.tensors)
                with open(os.path.join(round_dir, f"site-{k}", "site.json"), "w") as f:
                    json.dump({"cid": proxy.cid, "num_examples": res.num_examples, "metrics": res.metrics,
                               "tensor_type": res.parameters.tensor_type}, f, indent=1)
                arrays = parameters_to_ndarrays(res.parameters)
                sites.append((arrays, res.num_examples))
                print(f"[round {server_round}] site {k} ({proxy.cid}): num_examples={res.num_examples} "
                      f"metrics={res.metrics} tensors={len(arrays)} "
                      f"dtypes={sorted({str(a.dtype) for a in arrays})} tensor_type={res.parameters.tensor_type!r}",
                      flush=True)
            for failure in failures:
                print(f"[round {server_round}] failure: {failure!r}", flush=True)
            parameters, metrics = super().aggregate_fit(server_round, results, failures)
            if parameters is None:
                return parameters, metrics
            write_tensors(os.path.join(round_dir, "global"), parameters.tensors)
            flower = parameters_to_ndarrays(parameters)
            hand = hand_fedavg(sites)
            diff = max(float(np.max(np.abs(f.astype(np.float64) - h))) for f, h in zip(flower, hand))
            scale = max(float(np.max(np.abs(h))) for h in hand)
            print(f"[round {server_round}] aggregated {len(flower)} tensors, dtypes={sorted({str(a.dtype) for a in flower})}; "
                  f"fit metrics {metrics}; max |Flower FedAvg - hand FedAvg (float64)| = {diff:.3g} "
                  f"(max |tensor| {scale:.3g})", flush=True)
            self.final = flower
            return parameters, metrics

        def aggregate_evaluate(self, server_round, results, failures):
            for proxy, res in sorted(results, key=lambda r: r[0].cid):
                print(f"[round {server_round}] evaluate {proxy.cid}: loss={res.loss:.6g} "
                      f"num_examples={res.num_examples} metrics={res.metrics}", flush=True)
            loss, metrics = super().aggregate_evaluate(server_round, results, failures)
            print(f"[round {server_round}] evaluate aggregated: loss={loss} metrics={metrics}", flush=True)
            return loss, metrics

    return Recording


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:8080")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--min-clients", type=int, default=2)
    parser.add_argument("--round-timeout", type=float, default=None, help="seconds (ServerConfig.round_timeout)")
    parser.add_argument("--proximal-mu", type=float, default=None, help="use FedProx (sends proximal_mu in the fit config)")
    parser.add_argument("--fit-config", nargs="*", default=[], metavar="KEY=VALUE", help="sent in every FitIns.config")
    parser.add_argument("--evaluate-config", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-evaluate", action="store_true", help="fraction_evaluate=0")
    parser.add_argument("--tls", nargs=3, metavar=("CA", "CERT", "KEY"), help="PEM files: serve over TLS")
    parser.add_argument("--adapter-template", help="a site's PEFT adapter folder: write OUT/final-adapter")
    parser.add_argument("--initial-adapter", help="start from this PEFT adapter (else Flower asks one site)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    fit_config = dict(item.split("=", 1) for item in args.fit_config)
    fit_config = {k: parse_scalar(v) for k, v in fit_config.items()}
    evaluate_config = {k: parse_scalar(v) for k, v in (item.split("=", 1) for item in args.evaluate_config)}
    os.makedirs(args.out, exist_ok=True)

    common = dict(
        fraction_fit=1.0,
        fraction_evaluate=0.0 if args.no_evaluate else 1.0,
        min_fit_clients=args.min_clients,
        min_evaluate_clients=0 if args.no_evaluate else args.min_clients,
        min_available_clients=args.min_clients,
        on_fit_config_fn=lambda server_round: {**fit_config, "server_round": server_round},
        on_evaluate_config_fn=lambda server_round: {**evaluate_config, "server_round": server_round},
        fit_metrics_aggregation_fn=weighted_mean,
        evaluate_metrics_aggregation_fn=weighted_mean,
    )
    if args.initial_adapter:
        common["initial_parameters"] = ndarrays_to_parameters(read_adapter(args.initial_adapter))
    if args.proximal_mu is None:
        strategy = recording(FedAvg)(args.out, **common)
    else:
        strategy = recording(FedProx)(args.out, proximal_mu=args.proximal_mu, **common)

    certificates = None
    if args.tls:
        certificates = tuple(open(path, "rb").read() for path in args.tls)
    print(f"flwr {flower_source(flwr)}; "
          f"strategy {type(strategy).__mro__[1].__name__}", flush=True)
    history = start_server(server_address=args.address, config=ServerConfig(num_rounds=args.rounds,
                           round_timeout=args.round_timeout), strategy=strategy, certificates=certificates)
    print(f"history: losses_distributed={history.losses_distributed} metrics_distributed_fit={history.metrics_distributed_fit} "
          f"metrics_distributed={history.metrics_distributed}", flush=True)
    if strategy.final is None:
        sys.exit("no round finished")
    final_dir = os.path.join(args.out, "final")
    save_arrays(final_dir, strategy.final)
    print(f"final parameters: {len(strategy.final)} tensors in {final_dir}", flush=True)
    if args.adapter_template:
        write_adapter(args.adapter_template, strategy.final, os.path.join(args.out, "final-adapter"))
        print(f"final adapter: {os.path.join(args.out, 'final-adapter')}", flush=True)


if __name__ == "__main__":
    main()
