#!/bin/bash
# scripts/bench_ort.sh — cpose vs ONNX Runtime latency on the yolov8n-pose bncal fixture, in one run
# (alternating, so machine drift hits both): installs onnxruntime-node with npm into a cache folder
# outside the repository (ONNXRUNTIME_NODE_INSTALL=skip: no GPU binaries are fetched; the CPU
# provider ships in the package), then prints both medians and the ratio cpose / ORT.
# usage: scripts/bench_ort.sh [CPOSE_BIN] [IMGSZ=640] [RUNS=50] [WARMUP=5] [THREADS=2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CPOSE_BIN=${1:-$here/../build/cpose}
IMGSZ=${2:-640}; RUNS=${3:-50}; WARMUP=${4:-5}; THREADS=${5:-2}
FIX=${CPOSE_FIXTURES:-$here/../../shared/fixtures}/ultralytics
CACHE=${CPOSE_ORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpose-ort}
[ -x "$CPOSE_BIN" ] || { echo "bench_ort.sh: no cpose binary at $CPOSE_BIN (build first or pass its path)" >&2; exit 1; }
[ -r "$FIX/yolov8n-pose-seed0-bncal.onnx" ] || { echo "bench_ort.sh: fixtures not found in $FIX" >&2; exit 1; }
if [ ! -d "$CACHE/node_modules/onnxruntime-node" ]; then
    mkdir -p "$CACHE"
    echo "installing onnxruntime-node into $CACHE ..."
    (cd "$CACHE" && [ -f package.json ] || echo '{"private": true}' > "$CACHE/package.json")
    (cd "$CACHE" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --silent onnxruntime-node >/dev/null)
fi
export OMP_NUM_THREADS=$THREADS
ort_out=$(NODE_PATH="$CACHE/node_modules" node "$here/bench_ort.js" "$FIX/yolov8n-pose-seed0-bncal.onnx" "$IMGSZ" "$RUNS" "$WARMUP" "$THREADS")
cpose_out=$("$CPOSE_BIN" benchmark model="$FIX/yolov8n-pose-seed0-bncal.h5" imgsz="$IMGSZ" batch=1 threads="$THREADS" \
            runs="$RUNS" warmup="$WARMUP" verbose=False)
ort_med=$(echo "$ort_out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
cpose_med=$(echo "$cpose_out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' | head -1)
echo "ONNX Runtime: $ort_out"
echo "cpose:        $(echo "$cpose_out" | head -1)"
echo "              $(echo "$cpose_out" | sed -n 2p)"
awk -v c="$cpose_med" -v o="$ort_med" 'BEGIN { printf "ratio cpose/ORT = %.2f (imgsz '"$IMGSZ"', batch 1, '"$THREADS"' threads, fp32)\n", c / o }'
