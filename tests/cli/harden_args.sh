#!/bin/bash
# tests/cli/harden_args.sh — threads= out of range gets a warning (issue 11, item 15): 0, -1 and
# 2147483648 are named, 10000 is capped per core, and the run still ends promptly.
set -u
fail=0
expect() { if [[ "$1" != *"$2"* ]]; then echo "FAIL: got '$1', want '$2'"; fail=1; else echo "ok: $2"; fi; }
for t in 0 -1; do
    expect "$("$CPOSE_BIN" forward threads=$t 2>&1)" "threads=$t is not a thread count"
done
expect "$("$CPOSE_BIN" forward threads=2147483648 2>&1)" "threads=2147483648 is more than 4 per core"
start=$(date +%s)
expect "$("$CPOSE_BIN" forward threads=10000 2>&1)" "threads=10000 is more than 4 per core"
[ $(( $(date +%s) - start )) -le 10 ] || { echo "FAIL: threads=10000 took too long"; fail=1; }
exit $fail
