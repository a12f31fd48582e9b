#!/bin/bash
# tests/cli/model_info.sh — `cpose info` prints Ultralytics' summary lines (REFERENCE.md figures).
set -u
fail=0
expect() {  # expect "<output>" "<wanted substring>"
    if [[ "$1" != *"$2"* ]]; then echo "FAIL: got '$1', want '$2'"; fail=1; else echo "ok: $2"; fi
}
cd "$(mktemp -d)"  # lookup of bundled YAMLs must work from any folder
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
exit $fail
