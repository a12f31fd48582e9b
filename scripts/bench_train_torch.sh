#!/bin/bash
# scripts/bench_train_torch.sh — cpose's training step vs Ultralytics 8.1.47's on PyTorch (Debian python3-torch),
# in one run: ROUNDS alternating rounds of `cpose benchmark backward=True` and scripts/bench_train_torch.py on the
# same generated batch, so machine drift hits both; prints each round, the medians of the round medians, the
# img/s ratio cpose/PyTorch and both peak RSS. The reference is set up outside the repository first:
#   bash ../shared/tools/reference-ultralytics.sh GIT_DIR REF_DIR   (GIT_DIR: a fetched gqf2008/ultralytics)
# usage: REF=REF_DIR scripts/bench_train_torch.sh [CPOSE_BIN] [IMGSZ=320] [BATCH=8] [RUNS=10] [WARMUP=2] [THREADS=2] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CPOSE_BIN=${1:-$here/../build/cpose}
IMGSZ=${2:-320}; BATCH=${3:-8}; RUNS=${4:-10}; WARMUP=${5:-2}; THREADS=${6:-2}; ROUNDS=${7:-3}
[ -n "${REF:-}" ] && [ -r "$REF/env.sh" ] || { echo "bench_train_torch.sh: set REF to a folder made by reference-ultralytics.sh" >&2; exit 1; }
[ -x "$CPOSE_BIN" ] || { echo "bench_train_torch.sh: no cpose binary at $CPOSE_BIN (build first or pass its path)" >&2; exit 1; }
field() { sed -n "s/.*$1.*/\\1/p" | head -1; }
c_ips=(); t_ips=()
for r in $(seq 1 "$ROUNDS"); do
    c=$("$CPOSE_BIN" benchmark model=yolov8n-pose.yaml imgsz="$IMGSZ" batch="$BATCH" threads="$THREADS" backward=True \
        runs="$RUNS" warmup="$WARMUP" verbose=False | grep 'train step')
    t=$(. "$REF/env.sh" && OMP_NUM_THREADS=$THREADS $PY "$here/bench_train_torch.py" "$IMGSZ" "$BATCH" "$RUNS" "$WARMUP" "$THREADS")
    echo "round $r: cpose: $c"
    echo "round $r: PyTorch: $t"
    c_ips+=("$(echo "$c" | field ' \([0-9.]*\) img\/s')"); t_ips+=("$(echo "$t" | field ' \([0-9.]*\) img\/s')")
    c_rss=$(echo "$c" | field 'RSS \([0-9.]*\) MiB'); t_rss=$(echo "$t" | field 'RSS \([0-9.]*\) MiB')
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
cm=$(median "${c_ips[@]}"); tm=$(median "${t_ips[@]}")
awk -v c="$cm" -v t="$tm" -v cr="$c_rss" -v tr="$t_rss" -v s="$IMGSZ" -v b="$BATCH" -v th="$THREADS" 'BEGIN {
    printf "median of round medians: cpose %.1f img/s, PyTorch %.1f img/s; cpose/PyTorch = %.2fx; peak RSS cpose %d MiB, PyTorch %d MiB (imgsz %d, batch %d, %d threads)\n", c, t, c / t, cr, tr, s, b, th }'
