#!/usr/bin/env bash
# tests/cli/loss.sh — `cpose loss` end to end: on the Ultralytics fixture (parity_loss_seed0.h5 with
# yolov8n-pose-seed0.h5) the five items and the total within 1e-4 relative of REFERENCE.md and the
# global gradient norm within 1e-3; argument and file errors.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN is not set}
FX="${CPOSE_SOURCE_DIR:-.}/../shared/fixtures/ultralytics"
T=$(mktemp -d /tmp/cpose-cli-loss-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
expect() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

"$CPOSE" loss model=yolov8n-pose.yaml >"$T/e1" 2>&1
rc=$?
expect '[ $rc -ne 0 ] && grep -q "give the batch file" "$T/e1"' "loss without batch=: $(cat "$T/e1")"
"$CPOSE" loss model=yolov8n-pose.yaml batch="$T/none.h5" >"$T/e2" 2>&1
rc=$?
expect '[ $rc -ne 0 ] && grep -q "none.h5" "$T/e2"' "loss with a missing batch file: $(cat "$T/e2")"

if [ ! -f "$FX/parity_loss_seed0.h5" ]; then
    echo "SKIP parity: $FX not found ($pass passed, $fail failed)"
    [ $fail -eq 0 ] && exit 77 || exit 1
fi
"$CPOSE" loss model="$FX/yolov8n-pose-seed0.h5" batch="$FX/parity_loss_seed0.h5" threads=2 >"$T/out" 2>"$T/err"
rc=$?
expect '[ $rc -eq 0 ]' "loss on the fixture: $(cat "$T/err")"
line=$(grep '^box=' "$T/out")
echo "$line"
# name, reference (REFERENCE.md), relative tolerance
check() {
    local got
    got=$(echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p")
    expect "awk -v g='$got' -v r='$2' -v t='$3' 'BEGIN { d = g - r; if (d < 0) d = -d; exit !(g != \"\" && d <= t * r) }'" \
        "$1=$got, reference $2 (relative tolerance $3)"
}
check box 3.8599308 1e-4
check pose 10.8120279 1e-4
check kobj 0.7056984 1e-4
check cls 3.8678243 1e-4
check dfl 4.2356339 1e-4
check total 187.84892 1e-4
check grad_norm 383.8916 1e-3
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
