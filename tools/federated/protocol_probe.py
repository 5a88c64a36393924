"""A raw client of flwr.proto.FlowerService/Join that prints every server message and how the stream ends.

Speaks the protocol with the generated transport_pb2 of the Flower tree on PYTHONPATH and no Flower client code, so
the same probe characterises Flower's server and RagTune's (`ragtune fed serve`) message by message: who speaks
first, the config keys and their Scalar kinds, the tensors' .npy headers, ReconnectIns.seconds, and the gRPC status
the stream closes with. --mode picks a behaviour:
  normal                answer GetParameters (seeded --shapes), Fit (tensors back unchanged), Evaluate, Reconnect
  silent                read server messages, never answer (a site that hangs: shows the server's timeout)
  speak-first           send a DisconnectRes before the server has said anything
  fit-not-implemented   answer FitIns with Status FIT_NOT_IMPLEMENTED and no parameters

  PYTHONPATH=... /usr/bin/python3 tools/federated/protocol_probe.py --address 127.0.0.1:8080 [--mode silent] \
      [--metadata x-ragtune-site-key=KEY] [--root-cert ca.pem] [--seconds 20]
"""
import argparse
import ast
import queue
import threading
import time
from io import BytesIO

import grpc
import numpy as np

from flwr.proto import transport_pb2 as pb
from flwr.proto import transport_pb2_grpc as pb_grpc


def npy_header(blob):
    """The .npy header dict of one tensor (magic, version, then the Python-literal header)."""
    if blob[:6] != b"\x93NUMPY":
        return f"not .npy ({blob[:8]!r})"
    major = blob[6]
    length = int.from_bytes(blob[8:10], "little") if major == 1 else int.from_bytes(blob[8:12], "little")
    start = 10 if major == 1 else 12
    header = ast.literal_eval(blob[start:start + length].decode("latin1"))
    return f"v{major}.{blob[7]} descr={header['descr']} shape={header['shape']} header_len={start + length}"


def scalar(value):
    kind = value.WhichOneof("scalar")
    return f"{kind}:{getattr(value, kind)!r}" if kind else "unset"


def describe(message):
    kind = message.WhichOneof("msg")
    body = getattr(message, kind) if kind else None
    parts = [kind or "EMPTY"]
    if kind == "reconnect_ins":
        parts.append(f"seconds={body.seconds}")
    if kind in ("get_properties_ins", "get_parameters_ins", "fit_ins", "evaluate_ins"):
        parts.append("config={" + ", ".join(f"{k}={scalar(v)}" for k, v in sorted(body.config.items())) + "}")
    if kind in ("fit_ins", "evaluate_ins"):
        p = body.parameters
        parts.append(f"tensor_type={p.tensor_type!r} tensors={len(p.tensors)}")
        parts.extend(f"  [{i}] {npy_header(t)}" for i, t in enumerate(p.tensors[:3]))
        if len(p.tensors) > 3:
            parts.append(f"  ... {len(p.tensors) - 3} more")
    return "\n    ".join(parts)


def to_npy(array):
    buffer = BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def answer(message, initial, num_examples, mode):
    kind = message.WhichOneof("msg")
    ok = pb.Status(code=pb.OK, message="Success")
    if kind == "get_parameters_ins":
        tensors = pb.Parameters(tensors=[to_npy(a) for a in initial], tensor_type="numpy.ndarray")
        return pb.ClientMessage(get_parameters_res=pb.ClientMessage.GetParametersRes(status=ok, parameters=tensors))
    if kind == "fit_ins":
        if mode == "fit-not-implemented":
            status = pb.Status(code=pb.FIT_NOT_IMPLEMENTED, message="probe: fit not implemented")
            return pb.ClientMessage(fit_res=pb.ClientMessage.FitRes(status=status))
        metrics = {"loss": pb.Scalar(double=0.5)}
        return pb.ClientMessage(fit_res=pb.ClientMessage.FitRes(
            status=ok, parameters=message.fit_ins.parameters, num_examples=num_examples, metrics=metrics))
    if kind == "evaluate_ins":
        return pb.ClientMessage(evaluate_res=pb.ClientMessage.EvaluateRes(
            status=ok, loss=0.25, num_examples=num_examples, metrics={"em": pb.Scalar(double=0.0)}))
    if kind == "get_properties_ins":
        return pb.ClientMessage(get_properties_res=pb.ClientMessage.GetPropertiesRes(status=ok))
    if kind == "reconnect_ins":
        reason = pb.RECONNECT if message.reconnect_ins.seconds else pb.ACK
        return pb.ClientMessage(disconnect_res=pb.ClientMessage.DisconnectRes(reason=reason))
    raise SystemExit(f"unknown server message {message!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:8080")
    parser.add_argument("--mode", choices=["normal", "silent", "speak-first", "fit-not-implemented"], default="normal")
    parser.add_argument("--shapes", default="8x4,4x8")
    parser.add_argument("--num-examples", type=int, default=5)
    parser.add_argument("--metadata", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--root-cert")
    parser.add_argument("--seconds", type=float, default=60, help="give up after this long")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    initial = [rng.standard_normal([int(d) for d in s.split("x")]).astype(np.float32) for s in args.shapes.split(",")]
    if args.root_cert:
        channel = grpc.secure_channel(args.address, grpc.ssl_channel_credentials(open(args.root_cert, "rb").read()))
    else:
        channel = grpc.insecure_channel(args.address)
    grpc.channel_ready_future(channel).result(timeout=args.seconds)
    outgoing = queue.Queue()

    def requests():
        while True:
            item = outgoing.get()
            if item is None:
                return
            yield item

    metadata = [tuple(item.split("=", 1)) for item in args.metadata]
    started = time.monotonic()
    stamp = lambda: f"[{time.monotonic() - started:6.2f}s]"
    if args.mode == "speak-first":
        print(f"{stamp()} client -> disconnect_res (before any server message)", flush=True)
        outgoing.put(pb.ClientMessage(disconnect_res=pb.ClientMessage.DisconnectRes(reason=pb.UNKNOWN)))
    stream = pb_grpc.FlowerServiceStub(channel).Join(requests(), metadata=metadata or None)
    timer = threading.Timer(args.seconds, stream.cancel)
    timer.daemon = True
    timer.start()
    try:
        for message in stream:
            print(f"{stamp()} server -> {describe(message)}", flush=True)
            if args.mode == "silent":
                continue
            reply = answer(message, initial, args.num_examples, args.mode)
            print(f"{stamp()} client -> {reply.WhichOneof('msg')}", flush=True)
            outgoing.put(reply)
            if reply.WhichOneof("msg") == "disconnect_res":
                outgoing.put(None)
        print(f"{stamp()} stream ended by the server: status OK", flush=True)
    except grpc.RpcError as error:
        print(f"{stamp()} stream ended: status {error.code().name} details={error.details()!r}", flush=True)
    finally:
        outgoing.put(None)
        channel.close()


if __name__ == "__main__":
    main()
