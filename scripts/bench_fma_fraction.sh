#!/bin/bash
# scripts/bench_fma_fraction.sh — how close the fp32 forward runs to this CPU's arithmetic ceiling: in
# ROUNDS alternating rounds, bench_fma_peak's fp32 FMA ceiling (AVX-512 where the CPU has it, else AVX2;
# the sum of each thread's best run) and `cpose benchmark`'s achieved GFLOP/s (the fused model's
# GFLOPs per image over the median forward). Prints each round and the median fraction.
# The FLOPs are the convolutions' nominal multiply-adds × 2. They are the executed ones on AVX-512
# CPUs whose 16-lane FMAs beat 8-lane ones (nChw16c activations: every conv runs oneDNN's direct
# kernels); on AVX2 CPUs, and on AVX-512 CPUs without that gain (AMD Zen 4: `cpose checks` says which),
# the 3×3 stride-1 convs run Winograd F(2×2,3×3), which executes 16/36 of those multiplies, so there the
# fraction reads high (CPOSE_WINOGRAD=0 gives the direct-kernel figure).
# usage: scripts/bench_fma_fraction.sh [BUILD_DIR=build] [ROUNDS=3] [MODEL=yolov8n-pose.yaml] [IMGSZ=640]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$here/../build}; ROUNDS=${2:-3}; MODEL=${3:-yolov8n-pose.yaml}; IMGSZ=${4:-640}
PEAK=$BUILD/tests/bench/bench_fma_peak
[ -x "$PEAK" ] && [ -x "$BUILD/cpose" ] || { echo "bench_fma_fraction.sh: build first (bash scripts/build.sh)" >&2; exit 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
fr=(); pk=(); ach=()
for r in $(seq 1 "$ROUNDS"); do
    peaks=$("$PEAK")
    line=$(echo "$peaks" | grep -E '^fp32 FMA \(AVX-512\) peak' || echo "$peaks" | grep -E '^fp32 FMA \(AVX2\) peak')
    kind=$(echo "$line" | sed 's/ peak.*//')
    p=$(echo "$line" | sed -n 's/.*peak: \([0-9.]*\) GFLOP.*/\1/p')
    out=$("$BUILD/cpose" benchmark model="$MODEL" imgsz="$IMGSZ" runs=30 warmup=3 2>/dev/null)
    a=$(echo "$out" | sed -n 's/.*, \([0-9.]*\) GFLOP\/s achieved.*/\1/p')
    med=$(echo "$out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
    f=$(awk -v a="$a" -v p="$p" 'BEGIN { printf "%.3f", a / p }')
    pk+=("$p"); ach+=("$a"); fr+=("$f")
    echo "round $r: $kind ceiling $p GFLOP/s | forward median $med ms, $a GFLOP/s | fraction $f"
done
echo "median: ceiling $(median "${pk[@]}") GFLOP/s, forward $(median "${ach[@]}") GFLOP/s, fraction $(median "${fr[@]}") ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
