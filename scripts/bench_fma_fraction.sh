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
# PREC=int8 measures `benchmark int8=True` (calibrated on a synthetic set made here) against the int8
# ceiling its kernels run on: VNNI dot products where the CPU has them, else the AVX-512BW or AVX2
# multiply-add triple. With VNNI int8 convs all run direct kernels, so its fraction counts executed OPs
# (the first conv and the head's nine output convs stay float32 and count as int8 work here); without
# VNNI the 3×3 stride-1 convs of ≥ 32 channels run cpose's int16 Winograd (F(4×4): 1/4 of the multiplies), so
# there it reads high (CPOSE_WINO_INT8=0 gives the direct-kernel figure). PREC=bf16 measures
# `benchmark half=True` against the AVX512_BF16 dot-product ceiling (its 3×3 convs run Winograd: reads high).
# usage: [PREC=fp32|int8|bf16] scripts/bench_fma_fraction.sh [BUILD_DIR=build] [ROUNDS=3] [MODEL=yolov8n-pose.yaml] [IMGSZ=640]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$here/../build}; ROUNDS=${2:-3}; MODEL=${3:-yolov8n-pose.yaml}; IMGSZ=${4:-640}
PEAK=$BUILD/tests/bench/bench_fma_peak
[ -x "$PEAK" ] && [ -x "$BUILD/cpose" ] || { echo "bench_fma_fraction.sh: build first (bash scripts/build.sh)" >&2; exit 1; }
PREC=${PREC:-fp32}; extra=(); unit=GFLOP
case "$PREC" in
fp32) pat='^fp32 FMA \(AVX-512\) peak|^fp32 FMA \(AVX2\) peak' ;;
bf16) pat='^bf16 dot product \(AVX512_BF16\) peak'; extra=(half=True) ;;
int8) pat='^int8 dot product \(AVX512_VNNI\) peak|^int8 multiply-add without VNNI \(AVX-512BW\) peak|^int8 multiply-add without VNNI \(AVX2\) peak'
      unit=GOP
      tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
      "$BUILD/cpose" synth save_dir="$tmp/calib" n_train=1 n_val=8 imgsz="$IMGSZ" seed=0 >/dev/null 2>&1
      extra=(int8=True data="$tmp/calib/synth-pose.yaml") ;;
*) echo "bench_fma_fraction.sh: PREC must be fp32, bf16 or int8 (got '$PREC')" >&2; exit 2 ;;
esac
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
fr=(); pk=(); ach=()
for r in $(seq 1 "$ROUNDS"); do
    peaks=$("$PEAK")
    line=$(echo "$peaks" | grep -E "$pat" | head -1 || true)
    [ -n "$line" ] || { echo "bench_fma_fraction.sh: this CPU has no $PREC ceiling in bench_fma_peak's output:" >&2; echo "$peaks" >&2; exit 1; }
    kind=$(echo "$line" | sed 's/ peak.*//')
    p=$(echo "$line" | sed -n 's/.*peak: \([0-9.]*\) G.*/\1/p')
    out=$("$BUILD/cpose" benchmark model="$MODEL" imgsz="$IMGSZ" runs=30 warmup=3 "${extra[@]}" 2>/dev/null)
    a=$(echo "$out" | sed -n 's/.*, \([0-9.]*\) GFLOP\/s achieved.*/\1/p')
    med=$(echo "$out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
    f=$(awk -v a="$a" -v p="$p" 'BEGIN { printf "%.3f", a / p }')
    pk+=("$p"); ach+=("$a"); fr+=("$f")
    echo "round $r: $kind ceiling $p $unit/s | $PREC forward median $med ms, $a $unit/s | fraction $f"
done
echo "median: ceiling $(median "${pk[@]}") $unit/s, $PREC forward $(median "${ach[@]}") $unit/s, fraction $(median "${fr[@]}") ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
