#!/usr/bin/env bash
# The test command (README): builds and runs every test project, then prints "N passed, N failed" from the TRX results.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
scripts/setup.sh || { echo "setup failed (apt/npm install)"; echo "0 passed, 1 failed"; exit 1; }
results=TestResults
rm -rf "$results"
dotnet test RagTune.slnx -c Release --logger "trx" --results-directory "$results" "$@"
rc=$?
read -r passed failed < <(scripts/trx-counts.sh "$results"/*.trx)
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "dotnet test exited with $rc (build or runner failure)"; fi
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ]
