#!/bin/bash
# tests/cli/model_info.sh — `cpose info` prints Ultralytics' summary lines (REFERENCE.md figures);
# `cpose benchmark` runs and reports (its line, the fused GFLOPs at that size) and refuses bad sizes.
set -u
fail=0
expect() {  # expect "<output>" "<wanted substring>"
    if [[ "$1" != *"$2"* ]]; then echo "FAIL: got '$1', want '$2'"; fail=1; else echo "ok: $2"; fi
}
T=$(mktemp -d /tmp/cpose-test-info-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"  # lookup of bundled YAMLs must work from any folder
expect "$("$CPOSE_BIN" info model=yolov8n-pose.yaml 2>&1)" \
    "YOLOv8n-pose summary: 250 layers, 3295470 parameters, 3295454 gradients, 9.3 GFLOPs"
expect "$("$CPOSE_BIN" info model=yolov8n-pose.yaml fuse=True 2>&1)" \
    "YOLOv8n-pose summary (fused): 187 layers, 3289964 parameters,"
expect "$("$CPOSE_BIN" info model=yolov8n-pose.yaml fuse=True 2>&1)" "9.2 GFLOPs"
expect "$("$CPOSE_BIN" info model=yolov8m-pose.yaml 2>&1)" "26464462 parameters"
expect "$("$CPOSE_BIN" info model=yolov8x-pose-p6.yaml imgsz=1280 2>&1)" "99182640 parameters, 99182624 gradients, 1069.4 GFLOPs"
out=$("$CPOSE_BIN" info model=yolov8-pose.yaml 2>&1)
expect "$out" "assuming scale='n'"
expect "$out" "YOLOv8n-pose summary: 250 layers"
out=$("$CPOSE_BIN" info model=yolov8q-nope.yaml 2>&1); rc=$?
[ $rc -ne 0 ] || { echo "FAIL: unknown YAML accepted"; fail=1; }
expect "$out" "not found"
out=$("$CPOSE_BIN" info 2>&1); rc=$?
[ $rc -ne 0 ] || { echo "FAIL: info without model= accepted"; fail=1; }
expect "$out" "model= is required"

# benchmark: a tiny run; GFLOPs scale with the pixel count: 9.1802 · (64/640)² = 0.0918 per image
out=$("$CPOSE_BIN" benchmark model=yolov8n-pose.yaml imgsz=64 runs=3 warmup=1 threads=1 2>&1); rc=$?
[ $rc -eq 0 ] || { echo "FAIL: benchmark exit $rc: $out"; fail=1; }
[[ "$out" =~ YOLOv8n-pose\ imgsz=64\ batch=1\ threads=1\ runs=3:\ median\ [0-9.]+\ ms\ \(min\ [0-9.]+,\ max\ [0-9.]+\) ]] \
    || { echo "FAIL: benchmark line: $out"; fail=1; }
expect "$out" "0.09 GFLOPs per image (fused)"
out=$("$CPOSE_BIN" benchmark model=yolov8n-pose.yaml imgsz=100 runs=1 2>&1); rc=$?
[ $rc -ne 0 ] || { echo "FAIL: benchmark imgsz=100 accepted"; fail=1; }
expect "$out" "imgsz=100 must be a multiple of 32"
out=$("$CPOSE_BIN" benchmark model=yolov8n-pose.yaml imgsz=64 runs=1 precsion=fp16 2>&1); rc=$?
[ $rc -ne 0 ] || { echo "FAIL: benchmark with an unknown key accepted"; fail=1; }
expect "$out" "'precsion' is not a valid argument"
exit $fail
