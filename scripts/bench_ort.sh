#!/bin/bash
# scripts/bench_ort.sh — cpose vs ONNX Runtime latency on the yolov8n-pose bncal fixture, in one run
# (ROUNDS alternating rounds, so machine drift hits both; medians of the round medians): installs
# onnxruntime-node with npm into a cache folder outside the repository (ONNXRUNTIME_NODE_INSTALL=skip: no GPU binaries are fetched; the CPU
# provider ships in the package), then prints both medians and the ratio cpose / ORT.
# ONNX Runtime runs the fixture's ONNX file at 640, cpose's ONNX export of the same weights at other sizes (scripts/lib/ort_model.sh).
# usage: scripts/bench_ort.sh [CPOSE_BIN] [IMGSZ=640] [RUNS=50] [WARMUP=5] [THREADS=2] [ROUNDS=3]
# (ORT_ALLOW_SPINNING=0 in the environment stops ORT's threads spinning; cpose sleeps by default:
# core/base/omp_policy.c)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CPOSE_BIN=${1:-$here/../build/cpose}
IMGSZ=${2:-640}; RUNS=${3:-50}; WARMUP=${4:-5}; THREADS=${5:-2}; ROUNDS=${6:-3}
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
. "$here/lib/ort_model.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
ONNX=$(ort_model "$FIX" "$IMGSZ" "$CPOSE_BIN" "$work")
export OMP_NUM_THREADS=$THREADS
per=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
ort_meds=(); cpose_meds=()
for r in $(seq 1 "$ROUNDS"); do
    ort_out=$(NODE_PATH="$CACHE/node_modules" node "$here/bench_ort.js" "$ONNX" "$IMGSZ" "$per" "$WARMUP" "$THREADS")
    cpose_out=$("$CPOSE_BIN" benchmark model="$FIX/yolov8n-pose-seed0-bncal.h5" imgsz="$IMGSZ" batch=1 threads="$THREADS" \
                runs="$per" warmup="$WARMUP" verbose=False)
    o=$(echo "$ort_out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
    c=$(echo "$cpose_out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' | head -1)
    ort_meds+=("$o"); cpose_meds+=("$c")
    echo "round $r: ONNX Runtime $ort_out | cpose $(echo "$cpose_out" | head -1 | sed 's/.*: //')"
done
echo "cpose $(echo "$cpose_out" | sed -n 2p)"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
om=$(median "${ort_meds[@]}"); cm=$(median "${cpose_meds[@]}")
awk -v c="$cm" -v o="$om" -v s="$IMGSZ" -v t="$THREADS" 'BEGIN {
    printf "median of round medians: cpose %.2f ms, ONNX Runtime %.2f ms; ratio cpose/ORT = %.2f (imgsz %d, batch 1, %d threads, fp32)\n", c, o, c / o, s, t }'
