#!/bin/bash
# scripts/bench_mpi_train.sh — data-parallel training throughput on this machine: one process with
# threads=1, `mpirun -np 2` with threads=1 per rank, and one process with threads=2 (the alternative
# for the same 2 cores), in ROUNDS alternating rounds. Workload: cpose's synthetic people (N_TRAIN
# images at IMGSZ, 16 val), yolov8n-pose.yaml from scratch, global batch 16, EPOCHS epochs, workers=0
# (the loader runs on the rank's one thread), SGD, val=False (only the last epoch validates). Figures
# are cpose's own end-of-run line "training X img/s" (batch loops, loader included, validation
# excluded) and, under mpirun, rank 0's all-reduce line (MB per step; ms per step in the all-reduce, in
# MPI calls during the backward and waiting after it). Prints per run the median/min/max over the rounds, the CPU
# and the load average.
# usage: scripts/bench_mpi_train.sh [CPOSE_BIN] [IMGSZ=256] [N_TRAIN=64] [EPOCHS=2] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CPOSE_BIN=${1:-$here/../build/cpose}
IMGSZ=${2:-256}; N_TRAIN=${3:-64}; EPOCHS=${4:-2}; ROUNDS=${5:-3}
[ -x "$CPOSE_BIN" ] || { echo "bench_mpi_train.sh: no cpose binary at $CPOSE_BIN (build first or pass its path)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "bench_mpi_train.sh: mpirun not found (Debian: openmpi-bin)" >&2; exit 1; }
[[ "$(ldd "$CPOSE_BIN")" == *libmpi* ]] || { echo "bench_mpi_train.sh: $CPOSE_BIN was built without MPI" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
T=$(mktemp -d /tmp/cpose-bench-mpi-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$CPOSE_BIN" synth save_dir="$T/syn" n_train="$N_TRAIN" n_val=16 imgsz="$IMGSZ" seed=0 >/dev/null 2>&1
ARGS=(model=yolov8n-pose.yaml data="$T/syn/synth-pose.yaml" imgsz="$IMGSZ" batch=16 epochs="$EPOCHS" seed=0 workers=0
      optimizer=SGD val=False plots=False project="$T/runs" exist_ok=True)
names=("one process, threads=1" "mpirun -np 2, threads=1 per rank" "one process, threads=2")
run() { # index → prints "img/s [allreduce_ms call_ms wait_ms MB]"
    local out="$T/run.out"
    case $1 in
        0) OMP_NUM_THREADS=1 "$CPOSE_BIN" train "${ARGS[@]}" threads=1 name=r >"$out" 2>&1 ;;
        1) mpirun --oversubscribe -np 2 --bind-to none -x OMP_NUM_THREADS=1 "$CPOSE_BIN" train "${ARGS[@]}" threads=1 name=r >"$out" 2>&1 ;;
        2) OMP_NUM_THREADS=2 "$CPOSE_BIN" train "${ARGS[@]}" threads=2 name=r >"$out" 2>&1 ;;
    esac
    local ips ar
    ips=$(sed -n 's/.*training \([0-9.]*\) img\/s.*/\1/p' "$out" | tail -1)
    ar=$(sed -n 's/.*: \([0-9.]*\) MB all-reduced per step in [0-9]* buckets; per step (rank 0) \([0-9.]*\) ms in the all-reduce: \([0-9.]*\) ms in MPI calls during the backward, \([0-9.]*\) ms waiting.*/\2 \3 \4 \1/p' "$out")
    [ -n "$ips" ] || { tail -20 "$out" >&2; echo "bench_mpi_train.sh: run '${names[$1]}' printed no img/s" >&2; exit 1; }
    echo "$ips $ar"
}
declare -A res
for r in $(seq 1 "$ROUNDS"); do
    for k in 0 1 2; do
        i=$(( (k + r) % 3 ))
        out=$(run $i)
        res[$i]+="$out"$'\n'
        echo "round $r: ${names[$i]}: $out" >&2
    done
done
stat() { # column → "median (min, max)"
    printf '%s' "$2" | awk -v c="$1" 'NF >= c {print $c}' | sort -g | awk '{v[++n] = $1} END {if (!n) {print "-"; exit}
        med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2; printf "%.1f (%.1f–%.1f)", med, v[1], v[n]}'
}
echo "yolov8n-pose.yaml, imgsz $IMGSZ, global batch 16, $N_TRAIN train images × $EPOCHS epochs, workers=0; $ROUNDS rounds"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) usable CPUs; load at the end:$(uptime | sed 's/.*load average://')"
echo
echo "| run | img/s median (min–max) | all-reduce ms/step | of which in MPI calls during the backward | of which waiting after it |"
echo "|---|---|---|---|---|"
for i in 0 1 2; do
    echo "| ${names[$i]} | $(stat 1 "${res[$i]}") | $(stat 2 "${res[$i]}") | $(stat 3 "${res[$i]}") | $(stat 4 "${res[$i]}") |"
done
mb=$(printf '%s' "${res[1]}" | awk 'NF >= 5 {print $5; exit}')
echo
echo "gradient all-reduced per step: ${mb:-?} MB (fp32)"
