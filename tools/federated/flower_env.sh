#!/usr/bin/env bash
# Lays out Flower 1.6.0's Python package from a git clone of adap/flower so the scripts in this folder can import it with
# Debian's python3 (python3-grpcio 1.51, python3-protobuf 4.21, python3-numpy, python3-cryptography, python3-pycryptodome).
# Nothing of Flower is committed here. Prints the PYTHONPATH to export.
#
#   tools/federated/flower_env.sh /path/to/flower.git /tmp/flwr16     # then: export PYTHONPATH=...(printed)
set -euo pipefail
repo=${1:?usage: flower_env.sh FLOWER_GIT_DIR DEST [TAG]}
dest=${2:?usage: flower_env.sh FLOWER_GIT_DIR DEST [TAG]}
tag=${3:-v1.6.0}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

mkdir -p "$dest/shim"
git -C "$repo" archive "$tag" src/py | tar -x -C "$dest"
echo "$tag $(git -C "$repo" rev-parse "$tag^{commit}")" > "$dest/src/py/flwr/SOURCE_VERSION"

# Flower imports `iterators` (PyPI only, not in Debian): a stand-in with the same TimeoutIterator.
"$python" -c 'import iterators' 2>/dev/null || cp "$here/shim/iterators.py" "$dest/shim/iterators.py"
# Flower imports `Crypto` (pycryptodome); Debian's python3-pycryptodome installs the same code as `Cryptodome`.
if ! "$python" -c 'import Crypto.Protocol.SecretSharing' 2>/dev/null; then
  cryptodome=$("$python" -c 'import Cryptodome, os; print(os.path.dirname(Cryptodome.__file__))')
  ln -sfn "$cryptodome" "$dest/shim/Crypto"
fi

PYTHONPATH="$dest/src/py:$dest/shim" "$python" -c 'import flwr.server, flwr.client' >/dev/null
echo "$dest/src/py:$dest/shim"
