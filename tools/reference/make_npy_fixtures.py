# make_npy_fixtures.py -- writes the .npy fixtures of tests/RagTune.Federated.Tests/Fixtures with Debian's numpy
# (np.save(f, a, allow_pickle=False), as Flower's ndarray_to_bytes does), so the C# NpyFormat is checked byte for byte:
#   f4_*.npy      float32 arrays of several shapes (0-d, 1-d, empty, 2-d, 1x1x...x1 of rank 1..32, numpy's most: every padding case)
#   f2_from.npy   float32 values chosen to exercise float16 rounding (ties, subnormals, overflow to inf, -0.0)
#   f2_to.npy     the same array after .astype(np.float16): what the writer must produce from f2_from
#   v2_f4.npy, v3_f2.npy   format versions 2.0 and 3.0 (format.write_array(version=...)), which the reader accepts
#   f8_arange3.npy, f8_fedavg.npy   float64, which Flower 1.x's FedAvg returns (NumPy 1.x value-based casting): f8_fedavg is
#                 aggregate() of two float32 updates weighted 40,000 + 40,000 examples, exactly as Flower computes it
#   bad_be_f4.npy, bad_fortran.npy   well-formed .npy files the reader must refuse (byte order, order)
#   numpy_version.txt     the numpy that wrote them (header padding changed in numpy 1.24)
# usage: /usr/bin/python3 tools/reference/make_npy_fixtures.py tests/RagTune.Federated.Tests/Fixtures
import os, sys
import numpy as np
from numpy.lib import format as npformat

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def save(name, arr):
    with open(os.path.join(out, name), "wb") as f:
        np.save(f, arr, allow_pickle=False)

rng = np.random.default_rng(17)
save("f4_scalar.npy", np.array(3.25, dtype=np.float32))
save("f4_1d.npy", np.array([0.0, -0.0, 1.0, -2.5, 3.4028235e38], dtype=np.float32))
save("f4_empty.npy", np.zeros((0, 4), dtype=np.float32))
save("f4_2x3.npy", np.array([[np.pi, -np.e, 1e-40], [1e-45, -1.5e-7, 65504.0]], dtype=np.float32))
save("f4_8x896.npy", rng.standard_normal((8, 896)).astype(np.float32))
save("f4_1000x1.npy", rng.standard_normal((1000, 1)).astype(np.float32))
for rank in range(1, 33):
    save(f"f4_ones_rank{rank}.npy", np.full((1,) * rank, rank, dtype=np.float32))

# float16 rounding: ties to even, the largest finite half, overflow to inf, half subnormals and values below them.
edge = [0.0, -0.0, 1.0, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 65504.0, 65519.99, 65520.0, 1e6, -1e6,
        2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0001, 3 * 2.0 ** -26, 6.1e-5, -3.1e-5, 0.1, -0.3333333, 1234.567, 2.0 ** -14]
src = np.array(edge + list(rng.standard_normal(4) * 0.02), dtype=np.float32).reshape(3, 8)
save("f2_from.npy", src)
save("f2_to.npy", src.astype(np.float16))

with open(os.path.join(out, "v2_f4.npy"), "wb") as f:
    npformat.write_array(f, np.arange(6, dtype=np.float32).reshape(2, 3), version=(2, 0), allow_pickle=False)
with open(os.path.join(out, "v3_f2.npy"), "wb") as f:
    npformat.write_array(f, np.arange(4, dtype=np.float16), version=(3, 0), allow_pickle=False)

save("f8_arange3.npy", np.arange(3, dtype=np.float64))
update_a = np.array([[0.1, -0.25, 0.3], [1e-3, 2.5, -7.0]], dtype=np.float32)
update_b = np.array([[0.2, 0.5, -0.3], [4e-3, 1.25, 3.0]], dtype=np.float32)
save("f8_fedavg.npy", (update_a * 40000 + update_b * 40000) / 80000)  # flwr.server.strategy.aggregate.aggregate
save("bad_be_f4.npy", np.arange(3, dtype=">f4"))
save("bad_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))

with open(os.path.join(out, "numpy_version.txt"), "w") as f:
    f.write(np.__version__ + "\n")
