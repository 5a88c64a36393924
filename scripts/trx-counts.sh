#!/usr/bin/env bash
# Sums the passed/failed counters of the TRX files given: prints "PASSED FAILED" (test.sh and .ci/run share it).
passed=0; failed=0
for f in "$@"; do
  [ -f "$f" ] || continue
  line=$(grep -o '<Counters [^>]*' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line"); fl=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${fl:-0}))
done
echo "$passed $failed"
