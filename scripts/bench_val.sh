#!/bin/bash
# scripts/bench_val.sh — val throughput (img/s) on N synthetic IMGSZ px images (`cpose synth n_val=N`):
# cpose at batch=1, and at batch=16 before and after issue 12 item 3: the path before (CPOSE_VIEWS=0
# workers=0 CPOSE_VAL_CHUNK=16: copies for concat/slice, decode in turn, one forward per batch), views
# only, views + the next batch decoded during the forward (workers=8; the path of the trainer's val,
# whose loss hook needs the whole batch's raw outputs), and the default (also one image per forward) —
# in ROUNDS alternating rounds whose order rotates, so drift on a shared machine hits every
# configuration alike. Also cpose at batch 16 on the 64 synthetic 256 px images Ultralytics' val speed
# in REFERENCE.md was measured on, next to that figure.
# Prints a Markdown table: per configuration the median, min and max over rounds of img/s through
# the val loop (1000 / (preprocess + inference + postprocess ms per image) from val's Speed line; with
# the overlap "preprocess" is only the time the loop waited for a batch), the median over rounds of
# its ratio to the "before" run of the same round, and the median wall time of the whole command
# (model load, label scan, metrics included).
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
run_val() {  # DATA IMGSZ BATCH VIEWS WORKERS CHUNK (0: val's default)
    local t0 t1 speed
    t0=$(date +%s.%N)
    speed=$(CPOSE_VIEWS=$4 CPOSE_VAL_CHUNK=$6 "$CPOSE_BIN" val model="$MODEL" data="$1/synth-pose.yaml" imgsz="$2" batch="$3" workers="$5" \
        plots=False project="$WORK/runs" name=val exist_ok=True 2>&1 | sed -n 's/^Speed: //p' | tail -1)
    t1=$(date +%s.%N)
    [ -n "$speed" ] || return 1
    echo "$speed" | awk -v w="$(echo "$t1 - $t0" | bc)" '{gsub(/ms/, ""); printf "%.2f %.1f\n", 1000 / ($1 + $3 + $7 + $5), w}'
}

names=("cpose, batch=1" "cpose, batch=16, before (copies, decode in turn, one forward per batch)"
       "cpose, batch=16, views" "cpose, batch=16, views + overlapped decode (the trainer's val)"
       "cpose, batch=16, after (views + overlapped decode + one image per forward; the default)"
       "cpose, batch=16, 64 images at 256 (Ultralytics' setting)")
args=("$big $IMGSZ 1 1 8 0" "$big $IMGSZ 16 0 0 16" "$big $IMGSZ 16 1 0 16" "$big $IMGSZ 16 1 8 16" "$big $IMGSZ 16 1 8 0"
      "$small 256 16 1 8 0")
NC=${#names[@]}
declare -A res
for r in $(seq 1 "$ROUNDS"); do
    for k in $(seq 0 $((NC - 1))); do
        i=$(( (k + r) % NC ))
        # shellcheck disable=SC2086
        out=$(run_val ${args[$i]}) || { echo "bench_val.sh: '${names[$i]}' printed no Speed line" >&2; exit 1; }
        res[$i]+="$out"$'\n'
        res[$i,$r]=${out%% *}
        echo "round $r: ${names[$i]}: img/s, wall s: $out" >&2
    done
done

median() { sort -g | awk '{v[++n] = $1} END {printf "%s %s %s", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2, v[1], v[n]}'; }
summary() {  # I -> "median (min–max) | ratio to before | wall median"
    local a w q
    a=$(printf '%s' "${res[$1]}" | awk 'NF == 2 {print $1}' | median)
    w=$(printf '%s' "${res[$1]}" | awk 'NF == 2 {print $2}' | median)
    q=$(for r in $(seq 1 "$ROUNDS"); do echo "${res[$1,$r]} ${res[1,$r]}" | awk '{print $1 / $2}'; done | median)
    # the last row is another workload (256 px): no ratio
    echo "$a $q $w $(( $1 == NC - 1 ))" | awk '{q = $10 ? "–" : sprintf("%.2f×", $4); printf "%.1f (%.1f–%.1f) | %s | %.1f s", $1, $2, $3, q, $7}'
}
echo "val throughput: $N synthetic ${IMGSZ} px images, model $(basename "$MODEL"), fp32, threads = all ($(nproc)); $ROUNDS rounds"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) usable CPUs; load at the end:$(uptime | sed 's/.*load average://')"
echo "command: bash scripts/bench_val.sh $CPOSE_BIN $N $IMGSZ $ROUNDS"
echo
echo "| run | img/s through the val loop: median (min–max) | vs before, same round (median) | wall, whole command (median) |"
echo "|---|---|---|---|"
for i in $(seq 0 $((NC - 1))); do echo "| ${names[$i]} | $(summary "$i") |"; done
echo "| Ultralytics 8.1.47 val, batch 16, 64 images at 256 (REFERENCE.md) | 26–31 (29.5–35.9 ms inference + 2.6–2.8 ms postprocess per image; preprocess not given) | – | 8.6 s |"
