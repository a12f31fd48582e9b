#!/bin/bash
# tests/cli/model_forward.sh — `cpose forward` on the parity fixture writes the datasets the fixture
# has, with its shapes; bad arguments are refused with a message. (Values: tests/test_parity.c.)
set -u
FIX="${CPOSE_FIXTURES:-$CPOSE_SOURCE_DIR/../shared/fixtures}/ultralytics"
[ -r "$FIX/parity_seed0_bncal.h5" ] || { echo "SKIP: fixtures not found"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
"$CPOSE_BIN" forward model="$FIX/yolov8n-pose-seed0-bncal.h5" input="$FIX/parity_seed0_bncal.h5" output="$tmp/out.h5" threads=2 || fail=1
[ -f "$tmp/out.h5" ] || { echo "FAIL: no output"; exit 1; }
listing=$(h5ls "$tmp/out.h5")
for want in "pred *Dataset {1, 56, 8400}" "kpt_raw *Dataset {1, 51, 8400}" "level0_raw *Dataset {1, 65, 80, 80}" \
            "level1_raw *Dataset {1, 65, 40, 40}" "level2_raw *Dataset {1, 65, 20, 20}"; do
    echo "$listing" | grep -Eq "$want" && echo "ok: $want" || { echo "FAIL: missing $want in: $listing"; fail=1; }
done
out=$("$CPOSE_BIN" forward model="$FIX/yolov8n-pose-seed0-bncal.h5" input="$FIX/parity_seed0_bncal.h5" output="$tmp/o2.h5" nms_rows=vall 2>&1) && fail=1
echo "$out" | grep -q "nms_rows=vall: forward takes nms_rows=val" && echo "ok: bad nms refused" || { echo "FAIL: $out"; fail=1; }
out=$("$CPOSE_BIN" forward model="$FIX/yolov8n-pose-seed0-bncal.h5" input="$tmp/none.h5" output="$tmp/o3.h5" 2>&1) && fail=1
echo "$out" | grep -q "none.h5" && echo "ok: missing input named" || { echo "FAIL: $out"; fail=1; }
[ ! -e "$tmp/o3.h5" ] || { echo "FAIL: output written on error"; fail=1; }
out=$("$CPOSE_BIN" forward model="$FIX/yolov8n-pose-seed0-bncal.h5" cfg=yolov8s-pose.yaml input="$FIX/parity_seed0_bncal.h5" output="$tmp/o4.h5" 2>&1) && fail=1
echo "$out" | grep -q "model.0.conv.weight: file \[16, 3, 3, 3\], model \[32, 3, 3, 3\]" && echo "ok: wrong cfg refused" || { echo "FAIL: $out"; fail=1; }
out=$("$CPOSE_BIN" info model="$FIX/yolov8n-pose-seed0-bncal.h5" fuse=True verbose=False 2>&1)
echo "$out" | grep -q "YOLOv8n-pose summary (fused): 187 layers, 3289964 parameters, 0 gradients, 9.2 GFLOPs" \
    && echo "ok: info on weights" || { echo "FAIL: $out"; fail=1; }
exit $fail
