#!/bin/bash
# scripts/bench_val.sh — val throughput (img/s) on N synthetic IMGSZ px images (`cpose synth n_val=N`):
# cpose at batch=1, and at batch=16 before and after issue 12 item 3 — copies for concat/slice and
# decode in turn (CPOSE_VIEWS=0 workers=0: the path before), views only (workers=0), views + the next
# batch decoded during the forward (the default) — in ROUNDS alternating rounds whose order rotates,
# so drift on a shared machine hits every configuration alike. Also cpose at batch 16 on the 64
# synthetic 256 px images Ultralytics' val speed in REFERENCE.md was measured on, next to that figure.
# Prints a Markdown table: per configuration the median, min and max over rounds of img/s through
# the val loop (1000 / (preprocess + inference + postprocess ms per image) from val's Speed line; with
# the overlap "preprocess" is only the time the loop waited for a batch) and the median wall time of
# the whole command (model load, label scan, metrics included).
# usage: scripts/bench_val.sh [CPOSE_BIN] [N=500] [IMGSZ=640] [ROUNDS=3]
# The model is fixtures/ultralytics/synth-trained/synth-seed1-best.h5 (a yolov8n-pose that detects
# these people, so NMS and matching do real work); without the fixtures, fresh yolov8n-pose.yaml weights.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CPOSE_BIN=${1:-$here/../build/cpose}
N=${2:-500}; IMGSZ=${3:-640}; ROUNDS=${4:-3}
FIX=${CPOSE_FIXTURES:-$here/../../shared/fixtures}/ultralytics/synth-trained
WORK=${CPOSE_BENCH_DIR:-${TMPDIR:-/tmp}/cpose-bench-val}
[ -x "$CPOSE_BIN" ] || { echo "bench_val.sh: no cpose binary at $CPOSE_BIN (build first or pass its path)" >&2; exit 1; }
MODEL=yolov8n-pose.yaml; [ -r "$FIX/synth-seed1-best.h5" ] && MODEL=$FIX/synth-seed1-best.h5
mkdir -p "$WORK"
big=$WORK/synth-n$N-$IMGSZ small=$WORK/synth-n64-256
[ -r "$big/synth-pose.yaml" ] || "$CPOSE_BIN" synth save_dir="$big" n_train=1 n_val="$N" imgsz="$IMGSZ" seed=0 exist_ok=True >&2
# the split Ultralytics validated on: `cpose synth n_train=256 n_val=64 imgsz=256 seed=0` (val images do not depend on n_train)
[ -r "$small/synth-pose.yaml" ] || "$CPOSE_BIN" synth save_dir="$small" n_train=1 n_val=64 imgsz=256 seed=0 exist_ok=True >&2

# one val: prints "img_per_s wall_s"
run_val() {  # DATA IMGSZ BATCH VIEWS WORKERS
    local t0 t1 speed
    t0=$(date +%s.%N)
    speed=$(CPOSE_VIEWS=$4 "$CPOSE_BIN" val model="$MODEL" data="$1/synth-pose.yaml" imgsz="$2" batch="$3" workers="$5" \
        plots=False project="$WORK/runs" name=val exist_ok=True 2>&1 | sed -n 's/^Speed: //p' | tail -1)
    t1=$(date +%s.%N)
    [ -n "$speed" ] || return 1
    echo "$speed" | awk -v w="$(echo "$t1 - $t0" | bc)" '{gsub(/ms/, ""); printf "%.2f %.1f\n", 1000 / ($1 + $3 + $7 + $5), w}'
}

names=("cpose, batch=1" "cpose, batch=16, before (copies, decode in turn)" "cpose, batch=16, views only"
       "cpose, batch=16, after (views + overlapped decode)" "cpose, batch=16, 64 images at 256 (Ultralytics' setting)")
args=("$big $IMGSZ 1 1 8" "$big $IMGSZ 16 0 0" "$big $IMGSZ 16 1 0" "$big $IMGSZ 16 1 8" "$small 256 16 1 8")
declare -A res
for r in $(seq 1 "$ROUNDS"); do
    for k in 0 1 2 3 4; do
        i=$(( (k + r) % 5 ))
        # shellcheck disable=SC2086
        out=$(run_val ${args[$i]}) || { echo "bench_val.sh: '${names[$i]}' printed no Speed line" >&2; exit 1; }
        res[$i]+="$out"$'\n'
        echo "round $r: ${names[$i]}: img/s, wall s: $out" >&2
    done
done

median() { sort -g | awk '{v[++n] = $1} END {printf "%s %s %s", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2, v[1], v[n]}'; }
summary() {  # "ips wall" lines -> "median (min–max) | wall median"
    local a w
    a=$(printf '%s' "$1" | awk 'NF == 2 {print $1}' | median)
    w=$(printf '%s' "$1" | awk 'NF == 2 {print $2}' | median)
    echo "$a $w" | awk '{printf "%.2f (%.2f–%.2f) | %.1f s", $1, $2, $3, $4}'
}
echo "val throughput: $N synthetic ${IMGSZ} px images, model $(basename "$MODEL"), fp32, threads = all ($(nproc)); $ROUNDS rounds"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) usable CPUs; load at the end:$(uptime | sed 's/.*load average://')"
echo "command: bash scripts/bench_val.sh $CPOSE_BIN $N $IMGSZ $ROUNDS"
echo
echo "| run | img/s through the val loop: median (min–max) | wall, whole command (median) |"
echo "|---|---|---|"
for i in 0 1 2 3 4; do echo "| ${names[$i]} | $(summary "${res[$i]}") |"; done
echo "| Ultralytics 8.1.47 val, batch 16, 64 images at 256 (REFERENCE.md) | 26–31 (29.5–35.9 ms inference + 2.6–2.8 ms postprocess per image; preprocess not given) | 8.6 s |"
