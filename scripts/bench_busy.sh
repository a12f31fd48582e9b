#!/bin/bash
# scripts/bench_busy.sh — cpose (threads=2, threads=1) and ONNX Runtime (2 threads) at IMGSZ batch 1 on
# the yolov8n-pose bncal fixture, on a quiet machine and next to one CPU-bound process (`yes > /dev/null`,
# started and stopped by this script), in ROUNDS alternating rounds (quiet, busy, quiet, busy, ...), so
# drift hits every run alike. Prints the table of issue 12 item 1: per run and condition the median of
# the round medians, the smallest min and the largest max (ms).
# ONNX Runtime runs the fixture's ONNX file at 640, cpose's ONNX export of the same weights at other sizes (scripts/lib/ort_model.sh).
# usage: scripts/bench_busy.sh [CPOSE_BIN] [IMGSZ=640] [RUNS=30 per round] [WARMUP=3] [ROUNDS=3]
# cpose adapts its thread count to the load (core/base/cpu_load.c); CPOSE_ADAPT_THREADS=0 in the
# environment turns that off, to see the old behaviour. ONNX Runtime comes from onnxruntime-node,
# installed into a cache folder by tests/helpers/ort_setup.sh (as scripts/bench_ort.sh does).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CPOSE_BIN=${1:-$here/../build/cpose}
IMGSZ=${2:-640}; RUNS=${3:-30}; WARMUP=${4:-3}; ROUNDS=${5:-3}
FIX=${CPOSE_FIXTURES:-$here/../../shared/fixtures}/ultralytics
[ -x "$CPOSE_BIN" ] || { echo "bench_busy.sh: no cpose binary at $CPOSE_BIN (build first or pass its path)" >&2; exit 1; }
[ -r "$FIX/yolov8n-pose-seed0-bncal.onnx" ] || { echo "bench_busy.sh: fixtures not found in $FIX (set CPOSE_FIXTURES)" >&2; exit 1; }
ORT_MODULES=$(bash "$here/../tests/helpers/ort_setup.sh") || { echo "bench_busy.sh: onnxruntime-node could not be installed" >&2; exit 1; }
. "$here/lib/ort_model.sh"
work=$(mktemp -d)
ONNX=$(ort_model "$FIX" "$IMGSZ" "$CPOSE_BIN" "$work")

hog=""
stop_hog() { if [ -n "$hog" ]; then kill "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true; hog=""; fi; }
trap 'stop_hog; rm -rf "$work"' EXIT INT TERM

# one run: prints "median min max" (ms)
run_cpose() {  # THREADS
    OMP_NUM_THREADS=$1 "$CPOSE_BIN" benchmark model="$FIX/yolov8n-pose-seed0-bncal.h5" imgsz="$IMGSZ" batch=1 threads="$1" \
        runs="$RUNS" warmup="$WARMUP" verbose=False 2>/dev/null |
        sed -n 's/.*median \([0-9.]*\) ms (min \([0-9.]*\), max \([0-9.]*\)).*/\1 \2 \3/p' | head -1
}
run_ort() {
    NODE_PATH="$ORT_MODULES" node "$here/bench_ort.js" "$ONNX" "$IMGSZ" "$RUNS" "$WARMUP" 2 |
        sed -n 's/.*median \([0-9.]*\) ms (min \([0-9.]*\), max \([0-9.]*\)).*/\1 \2 \3/p'
}

declare -A res  # key "run|cond" -> lines "median min max"
names=("cpose, \`threads=2\`" "cpose, \`threads=1\`" "ONNX Runtime, 2 threads")
for r in $(seq 1 "$ROUNDS"); do
    for cond in quiet busy; do
        if [ "$cond" = busy ]; then yes > /dev/null & hog=$!; sleep 0.5; fi
        # the order of the three runs rotates with the round
        for k in 0 1 2; do
            i=$(( (k + r) % 3 ))
            case $i in 0) out=$(run_cpose 2) ;; 1) out=$(run_cpose 1) ;; 2) out=$(run_ort) ;; esac
            [ -n "$out" ] || { echo "bench_busy.sh: run '${names[$i]}' ($cond) printed no timing" >&2; exit 1; }
            res["$i|$cond"]+="$out"$'\n'
            echo "round $r $cond: ${names[$i]}: median/min/max $out ms" >&2
        done
        stop_hog
    done
done

# median of the round medians, smallest min, largest max
summary() {
    printf '%s' "$1" | sort -g | awk 'NF == 3 {m[++n] = $1; if (lo == "" || $2 < lo) lo = $2; if ($3 > hi) hi = $3}
        END {med = (n % 2) ? m[(n + 1) / 2] : (m[n / 2] + m[n / 2 + 1]) / 2;
             printf "%.1f ms (min %.1f, max %.1f)", med, lo, hi}'
}
echo "imgsz $IMGSZ, batch 1, fp32; $ROUNDS rounds × $RUNS runs per run and condition; busy = one \`yes > /dev/null\`"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) usable CPUs; load at the end:$(uptime | sed 's/.*load average://')"
echo
echo "| run | quiet: median | busy: median |"
echo "|---|---|---|"
for i in 0 1 2; do
    echo "| ${names[$i]} | $(summary "${res["$i|quiet"]}") | $(summary "${res["$i|busy"]}") |"
done
