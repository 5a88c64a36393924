"""What the interop scripts share: PEFT adapter folders <-> the federation's tensor list, .npy folders, Flower's source.

A PEFT adapter travels as adapter_model.safetensors' tensors in sorted key order (F32/F16), the order RagTune's site
documents for Flower's Parameters.tensors.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors_header(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length))


def read_adapter(directory):
    """A PEFT adapter_model.safetensors (F32/F16) as arrays in sorted key order."""
    with open(os.path.join(directory, "adapter_model.safetensors"), "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    arrays = []
    for key in sorted(k for k in header if k != "__metadata__"):
        entry = header[key]
        begin, end = entry["data_offsets"]
        arrays.append(np.frombuffer(data[begin:end], dtype=np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<"))
                      .reshape(entry["shape"]).astype(DTYPES[entry["dtype"]]))
    return arrays


def write_adapter(template, arrays, directory):
    """The final tensors as adapter_model.safetensors named by the template's keys (sorted), + its adapter_config.json."""
    header = read_safetensors_header(os.path.join(template, "adapter_model.safetensors"))
    keys = sorted(k for k in header if k != "__metadata__")
    if len(keys) != len(arrays):
        sys.exit(f"adapter template {template}: {len(keys)} tensors, the federation has {len(arrays)}")
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}
    entries, blobs, offset = {}, [], 0
    for key, array in zip(keys, arrays):
        if list(array.shape) != header[key]["shape"]:
            sys.exit(f"adapter template {template}: {key} has shape {header[key]['shape']}, the federation {list(array.shape)}")
        blob = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        entries[key] = {"dtype": dtypes[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(entries, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "adapter_model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    shutil.copy(os.path.join(template, "adapter_config.json"), os.path.join(directory, "adapter_config.json"))


def save_arrays(directory, arrays):
    """tensor-000.npy, tensor-001.npy, ... written by np.save (allow_pickle=False, as Flower does)."""
    os.makedirs(directory, exist_ok=True)
    for i, array in enumerate(arrays):
        np.save(os.path.join(directory, f"tensor-{i:03d}.npy"), array, allow_pickle=False)


def flower_source(flwr):
    """The tag and commit flower_env.sh laid out (Flower's source tree has no version string of its own)."""
    path = os.path.join(os.path.dirname(flwr.__file__), "SOURCE_VERSION")
    return open(path).read().strip() if os.path.exists(path) else os.path.dirname(flwr.__file__)
