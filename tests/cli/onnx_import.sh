#!/bin/bash
# tests/cli/onnx_import.sh — ONNX models through the `cpose` binary and Lua: info, forward (pred
# within the forward tolerances of Ultralytics' pred; values in tests/test_onnx_parity.c), predict
# and val with model=x.onnx (imgsz defaulting to the metadata's), benchmark, cpose.YOLO("x.onnx") in a
# job, and a damaged .onnx refused with its name. Needs the fixtures' ONNX exports (skips without).
set -u
FIX="${CPOSE_FIXTURES:-$CPOSE_SOURCE_DIR/../shared/fixtures}"
ONNX="$FIX/ultralytics/yolov8n-pose-seed0-bncal.onnx"
[ -r "$ONNX" ] || { echo "SKIP: fixtures not found"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

out=$("$CPOSE_BIN" info model="$ONNX" 2>&1)
echo "$out" | grep -q "YOLOv8n-pose summary.* 3289964 parameters, 0 gradients, 9.2 GFLOPs" && ok "info" || bad "info: $out"

"$CPOSE_BIN" forward model="$ONNX" input="$FIX/ultralytics/parity_seed0_bncal.h5" output="$tmp/out.h5" >"$tmp/f.log" 2>&1 \
    && [ -f "$tmp/out.h5" ] && ok "forward" || bad "forward: $(cat "$tmp/f.log")"
listing=$(h5ls "$tmp/out.h5" 2>&1)
echo "$listing" | grep -Eq "pred *Dataset \{1, 56, 8400\}" && ok "forward pred shape" || bad "forward listing: $listing"

# predict on the coco8-pose val images: imgsz from the metadata (640), the run folder written
"$CPOSE_BIN" predict model="$ONNX" source="$FIX/coco8-pose/images/val" project="$tmp/runs" name=p save=True >"$tmp/p.log" 2>&1 \
    && ok "predict exit" || bad "predict: $(cat "$tmp/p.log")"
grep -q "at shape (1, 3, 640, " "$tmp/p.log" && ok "predict imgsz 640 from metadata" || bad "predict shape: $(cat "$tmp/p.log")"
[ "$(ls "$tmp/runs/p" 2>/dev/null | grep -c jpg)" = 4 ] && ok "predict wrote 4 images" || bad "predict outputs: $(ls -R "$tmp/runs")"

# val on a small generated dataset
"$CPOSE_BIN" synth save_dir="$tmp/syn" n_train=2 n_val=3 imgsz=128 seed=3 >"$tmp/s.log" 2>&1 || bad "synth: $(cat "$tmp/s.log")"
"$CPOSE_BIN" val model="$ONNX" data="$tmp/syn/synth-pose.yaml" imgsz=128 batch=2 project="$tmp/runs" name=v >"$tmp/v.log" 2>&1 \
    && grep -Eq "^ +all +3 " "$tmp/v.log" && ok "val" || bad "val: $(cat "$tmp/v.log")"

out=$("$CPOSE_BIN" benchmark model="$ONNX" imgsz=320 runs=2 warmup=1 2>&1)
echo "$out" | grep -q "imgsz=320 batch=1" && ok "benchmark" || bad "benchmark: $out"

# Lua: cpose.YOLO on the ONNX file
cat >"$tmp/job.lua" <<LUA
local cpose = require "cpose"
local m = cpose.YOLO("$ONNX")
local i = m:info{}
assert(i.params == 3289964, "params " .. tostring(i.params))
local r = m:predict{source = "$FIX/coco8-pose/images/val/000000000113.jpg", imgsz = 320}
assert(#r == 1, "one result")
return {params = i.params}
LUA
"$CPOSE_BIN" run "$tmp/job.lua" save_dir="$tmp/job" >"$tmp/j.log" 2>&1 && ok "lua YOLO(onnx)" || bad "lua: $(cat "$tmp/j.log")"

# a damaged file: refused, named, nothing written
head -c 5000 "$ONNX" >"$tmp/cut.onnx"
out=$("$CPOSE_BIN" predict model="$tmp/cut.onnx" source="$FIX/coco8-pose/images/val" project="$tmp/runs" name=bad 2>&1) && bad "cut file accepted"
echo "$out" | grep -q "cut.onnx: not a valid ONNX model" && ok "cut file refused" || bad "cut file message: $out"
[ ! -e "$tmp/runs/bad" ] && ok "no run folder on error" || bad "run folder left: $(ls "$tmp/runs")"
exit $fail
