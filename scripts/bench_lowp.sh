#!/bin/bash
# scripts/bench_lowp.sh — cpose float32 / bf16 (half=True) / int8 (int8=True) latency against ONNX Runtime
# (and int8 without cpose's int16 Winograd where the CPU runs it)
# float32 on the yolov8n-pose bncal fixture, in ROUNDS alternating rounds of one run (machine drift hits
# all four alike). int8 calibrates on a synthetic val set made here (cpose synth, N_CALIB images at IMGSZ).
# Prints per round the four medians, then min / median / max of the round medians, each median's ratio to
# ORT's, and the median (and range) of the per-round ratios to ORT (each round's engines against that
# round's ORT: a paired figure that a machine slowing down for a while shifts less),
# the load average and the CPU. ORT is installed as in scripts/bench_ort.sh (onnxruntime-node, npm cache).
# FIFO=1 runs every engine under SCHED_FIFO (chrt -f 20; needs root or CAP_SYS_NICE), so that other
# processes on a shared machine wait while one engine measures; the kernel still keeps 5 % of each
# second for them (sched_rt_runtime_us), which shows as a few slow runs, not in the medians. cpose's
# load-adaptive thread count is off then (CPOSE_ADAPT_THREADS=0).
# ONNX Runtime runs the fixture's ONNX file at 640, cpose's ONNX export of the same weights at other sizes (scripts/lib/ort_model.sh).
# usage: scripts/bench_lowp.sh [CPOSE_BIN] [IMGSZ=640] [RUNS=20] [WARMUP=3] [THREADS=2] [ROUNDS=5] [N_CALIB=16]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CPOSE_BIN=${1:-$here/../build/cpose}
IMGSZ=${2:-640}; RUNS=${3:-20}; WARMUP=${4:-3}; THREADS=${5:-2}; ROUNDS=${6:-5}; N_CALIB=${7:-16}
FIX=${CPOSE_FIXTURES:-$here/../../shared/fixtures}/ultralytics
CACHE=${CPOSE_ORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpose-ort}
[ -x "$CPOSE_BIN" ] || { echo "bench_lowp.sh: no cpose binary at $CPOSE_BIN (build first or pass its path)" >&2; exit 1; }
[ -r "$FIX/yolov8n-pose-seed0-bncal.onnx" ] || { echo "bench_lowp.sh: fixtures not found in $FIX" >&2; exit 1; }
if [ ! -d "$CACHE/node_modules/onnxruntime-node" ]; then
    echo "bench_lowp.sh: onnxruntime-node is not installed in $CACHE: run scripts/bench_ort.sh once (it installs it)" >&2
    exit 1
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$here/lib/ort_model.sh"
ONNX=$(ort_model "$FIX" "$IMGSZ" "$CPOSE_BIN" "$tmp")
"$CPOSE_BIN" synth save_dir="$tmp/calib" n_train=1 n_val="$N_CALIB" imgsz="$IMGSZ" seed=0 >/dev/null 2>&1
export OMP_NUM_THREADS=$THREADS
rt=()
if [ "${FIFO:-0}" = 1 ]; then
    # the CPUs are the engine's while it runs: cpose's load-adaptive thread count (which reads the
    # run queue, where the waiting processes still count) is turned off, as ORT has none
    if chrt -f 20 true 2>/dev/null; then rt=(chrt -f 20); export CPOSE_ADAPT_THREADS=0; else echo "bench_lowp.sh: FIFO=1 but chrt -f is not allowed here; running normally" >&2; fi
fi
names=(ort f32 bf16 int8)
# where int8 runs cpose's int16 Winograd (CPUs without VNNI, `cpose checks`), a fifth row runs int8
# on oneDNN's direct kernels alone (CPOSE_WINO_INT8=0), the path before it
checks=$("$CPOSE_BIN" checks 2>/dev/null || true)
[[ $checks == *'int16 Winograd'* ]] && names+=(int8_direct)
declare -A meds ratios
# add_ratio ENGINE MS ORT_MS: one round's engine median over that round's ORT median
add_ratio() { ratios[$1]+="$(awk -v a="$2" -v o="$3" 'BEGIN { printf "%.4f", a / o }') "; }
cp_run() { "${rt[@]}" "$CPOSE_BIN" benchmark model="$FIX/yolov8n-pose-seed0-bncal.h5" imgsz="$IMGSZ" batch=1 threads="$THREADS" \
           runs="$RUNS" warmup="$WARMUP" "$@" 2>/dev/null | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' | head -1; }
for r in $(seq 1 "$ROUNDS"); do
    o=$(NODE_PATH="$CACHE/node_modules" "${rt[@]}" node "$here/bench_ort.js" "$ONNX" "$IMGSZ" "$RUNS" \
        "$WARMUP" "$THREADS" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
    f=$(cp_run); b=$(cp_run half=True); i=$(cp_run int8=True data="$tmp/calib/synth-pose.yaml")
    meds[ort]+="$o "; meds[f32]+="$f "; meds[bf16]+="$b "; meds[int8]+="$i "; d=""
    # each engine's round median over ORT's of the same round: a paired ratio, which a machine that
    # slows down for a while (another guest on the host) moves less than the ratio of the medians
    add_ratio f32 "$f" "$o"; add_ratio bf16 "$b" "$o"; add_ratio int8 "$i" "$o"
    if [ ${#names[@]} -gt 4 ]; then
        d=$(CPOSE_WINO_INT8=0 cp_run int8=True data="$tmp/calib/synth-pose.yaml"); meds[int8_direct]+="$d "
        add_ratio int8_direct "$d" "$o"; d=" | int8 direct $d ms"
    fi
    echo "round $r: ORT fp32 $o ms | cpose fp32 $f ms | bf16 $b ms | int8 $i ms$d   (load $(cut -d' ' -f1 /proc/loadavg))"
done
stats() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2;
          printf "%.2f %.2f %.2f", a[1], m, a[NR]}'; }
read -r _ om _ <<<"$(stats "${meds[ort]}")"
echo "| engine | min | median | max | median / ORT | per round / ORT: median (min–max) |"
echo "|---|---|---|---|---|---|"
# on a CPU without bf16 dot products half=True runs float32 (cpose says so): the row says it too
bf16_row="bf16"
[[ $checks == *'half=True → float32'* ]] && bf16_row="bf16 (half=True runs float32 on this CPU)"
for n in "${names[@]}"; do
    read -r lo md hi <<<"$(stats "${meds[$n]}")"
    label=$n; [ "$n" = bf16 ] && label=$bf16_row; [ "$n" = int8_direct ] && label="int8, oneDNN direct only (CPOSE_WINO_INT8=0)"
    pr="1.00×"
    [ "$n" != ort ] && { read -r rlo rmd rhi <<<"$(stats "${ratios[$n]}")"; pr=$(printf '%.2f× (%.2f–%.2f)' "$rmd" "$rlo" "$rhi"); }
    awk -v n="$label" -v lo="$lo" -v md="$md" -v hi="$hi" -v o="$om" -v pr="$pr" \
        'BEGIN { printf "| %s | %.1f ms | %.1f ms | %.1f ms | %.2f× | %s |\n", n, lo, md, hi, md / o, pr }'
done
echo "(round medians over $ROUNDS rounds of $RUNS runs; imgsz $IMGSZ, batch 1, $THREADS threads${rt:+, SCHED_FIFO}; $(uptime | sed 's/.*load/load/'))"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); $(grep -o -w -E 'avx512f|avx512_bf16|avx512_vnni|amx_bf16|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
