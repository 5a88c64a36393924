#!/usr/bin/env bash
# Flower 1.6.0's own server (tools/federated/flower_server.py, FedAvg) with two RagTune sites (`ragtune fed join`) on
# loopback for two rounds, on the tiny Qwen2 test checkpoint and two small disjoint fact sets; then checks that
#   - Flower's final tensors equal a hand FedAvg of what the sites sent in the last round (printed by the server),
#   - the last global adapter each site received equals Flower's final tensors,
#   - the final tensors, written back as a PEFT adapter, load with `ragtune generate --adapter`.
# Run from the repository root after `dotnet build src/RagTune.Cli -c Release`:
#   tools/federated/flower_interop.sh /path/to/adap-flower.git /tmp/fed-interop [PORT]
set -euo pipefail
flower_git=${1:?usage: flower_interop.sh FLOWER_GIT WORK [PORT]}
work=${2:?usage: flower_interop.sh FLOWER_GIT WORK [PORT]}
port=${3:-18090}
python=/usr/bin/python3
ragtune=(dotnet src/RagTune.Cli/bin/Release/net10.0/ragtune.dll)
model=tests/RagTune.Engine.Tests/TestData/models/qwen2-tiny

rm -rf "$work" && mkdir -p "$work"
PYTHONPATH=$(tools/federated/flower_env.sh "$flower_git" "$work/flwr" 2>/dev/null)
export PYTHONPATH="$PYTHONPATH:$PWD/tools/federated"

# Each site's own facts (the documents that never leave it) and a held-out copy for evaluation.
"$python" - "$work" <<'EOF'
import json, sys
sites = {
    "siteA": [("Where is the red door?", "north"), ("Who keeps the keys?", "Mara"), ("What opens the gate?", "the lever"),
              ("Which lamp is broken?", "the blue one")],
    "siteB": [("Where is the well?", "south"), ("Who feeds the goats?", "Ilya"), ("What closes the vault?", "the dial"),
              ("Which road is flooded?", "the east road"), ("When does the ferry leave?", "at noon"), ("Who owns the mill?", "Tomas")],
}
for site, facts in sites.items():
    for name in ("train", "heldout"):
        with open(f"{sys.argv[1]}/{site}-{name}.jsonl", "w") as f:
            for q, a in facts:
                f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}) + "\n")
EOF

"$python" tools/federated/flower_server.py --address "127.0.0.1:$port" --rounds 2 --min-clients 2 \
    --fit-config local_steps=3 learning_rate=0.01 --adapter-template "$work/siteA/local-adapter" --out "$work/server" \
    > "$work/server.log" 2>&1 &
server=$!
"$python" -c "import socket, sys, time
for _ in range(600):
    try: socket.create_connection(('127.0.0.1', $port), 0.1).close(); sys.exit(0)
    except OSError: time.sleep(0.1)
sys.exit('the Flower server did not start')"

for site in siteA siteB; do
  "${ragtune[@]}" fed join --server "127.0.0.1:$port" --model "$model" --data "$work/$site-train.jsonl" \
      --eval "$work/$site-heldout.jsonl" --work "$work/$site" --lora-rank 4 --grad-accum 1 --seed 7 > "$work/$site.log" 2>&1 &
  eval "pid_$site=$!"
done
status=0
wait "$pid_siteA" || status=$?; echo "siteA exit $status"
status=0
wait "$pid_siteB" || status=$?; echo "siteB exit $status"
wait "$server"; echo "server exit $?"

grep '^\[round\|^final\|^history' "$work/server.log"
"$python" - "$work" <<'EOF'
import glob, os, sys
import numpy as np
from interop import read_adapter
work = sys.argv[1]
final = [np.load(p) for p in sorted(glob.glob(f"{work}/server/final/tensor-*.npy"))]
for site in ("siteA", "siteB"):
    received = read_adapter(f"{work}/{site}/global-adapter")
    diff = max(float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(received, final))
    print(f"{site}: last global adapter received vs Flower's final tensors: {len(received)} tensors, max |diff| = {diff:.3g}")
written = read_adapter(f"{work}/server/final-adapter")
print("final-adapter (PEFT, from Flower's tensors) equals Flower's final tensors:",
      all(np.array_equal(a, b) for a, b in zip(written, final)))
EOF
"${ragtune[@]}" generate --model "$model" --adapter "$work/server/final-adapter" --chat --prompt "Where is the red door?" \
    --max-tokens 8 2>&1 | tail -3
