# Writes tests/RagTune.Engine.Tests/TestData/safetensors/torch_fixture.safetensors from PyTorch tensor bytes.
# The `safetensors` package is not installed here, so the format is written by hand exactly as its reference writer does:
# compact JSON header (tensors sorted by dtype, widest first, then name), space-padded to a multiple of 8.
# Run: /usr/bin/python3 tools/reference/make_safetensors_fixture.py
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "RagTune.Engine.Tests", "TestData", "safetensors")

# Reference dtype order (huggingface/safetensors Dtype enum); its writer sorts descending.
ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
NAMES = {torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.float16: "F16",
         torch.bfloat16: "BF16", torch.int32: "I32", torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the bits as int16 to get the bytes.
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def save(path, tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-ORDER.index(NAMES[kv[1].dtype]), kv[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, t in items:
        b = raw_bytes(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    # Values the C# test recomputes: arange-based tensors, plus probe floats whose 16-bit roundings torch decides.
    probes = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.14159265, 1e-3, 65504.0, 65520.0, 70000.0, 1e-8, 6e-8, 5.96e-8,
                           2.98e-8, 3e-5, 1.00390625, 1.01171875, 1.0 + 2**-9, 1.0 + 3 * 2**-9, -1e30, 3.4e38,
                           float("inf"), float("-inf"), 1.17549435e-38, 1e-40, 0.1, -0.3333333],
                          dtype=torch.float32)
    tensors = {
        "f32.matrix": (torch.arange(6, dtype=torch.float32) * 0.5 - 1.0).reshape(2, 3),
        "f64.vector": torch.tensor([1.0 / 3.0, -2.0, 1e-300], dtype=torch.float64),
        "f16.probes": probes.to(torch.float16),
        "bf16.probes": probes.to(torch.bfloat16),
        "f32.probes": probes,
        "i8.vector": torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8),
        "u8.vector": torch.tensor([0, 1, 254, 255], dtype=torch.uint8),
        "i32.matrix": torch.arange(-3, 3, dtype=torch.int32).reshape(3, 2),
        "i64.vector": torch.tensor([-(2**40), 0, 2**62], dtype=torch.int64),
        "bool.vector": torch.tensor([True, False, True]),
        "f32.scalar": torch.tensor(42.5, dtype=torch.float32),
        "f32.empty": torch.zeros(0, 4, dtype=torch.float32),
        "model.embed_tokens.weight": (torch.arange(24, dtype=torch.float32) / 8.0).reshape(4, 6).to(torch.bfloat16),
    }
    os.makedirs(OUT, exist_ok=True)
    save(os.path.join(OUT, "torch_fixture.safetensors"), tensors, {"format": "pt", "source": "make_safetensors_fixture.py"})
    nan_probe = torch.tensor([float("nan")], dtype=torch.float32)
    print("bf16 nan bits", hex(nan_probe.to(torch.bfloat16).view(torch.int16).item() & 0xFFFF),
          "f16 nan bits", hex(nan_probe.to(torch.float16).view(torch.int16).item() & 0xFFFF))


if __name__ == "__main__":
    main()
