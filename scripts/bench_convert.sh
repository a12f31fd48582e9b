#!/bin/bash
# scripts/bench_convert.sh — COCO→YOLO conversion speed on a person_keypoints_train2017-sized JSON, next
# to the first step of the Python alternative in the same run: JSON2YOLO starts with json.load() of the
# whole file, so Python's json.load alone is a lower bound for it (JSON2YOLO itself is not installable
# here: it is not packaged by Debian or npm). ROUNDS alternating rounds; medians of each.
# usage: scripts/bench_convert.sh [BUILD_DIR=build] [WORK_DIR=/tmp/cpose-bench-convert] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$here/../build}; WORK=${2:-/tmp/cpose-bench-convert}; ROUNDS=${3:-3}
BENCH=$BUILD/tests/bench/bench_convert
[ -x "$BENCH" ] || { echo "bench_convert.sh: no $BENCH (build first: bash scripts/build.sh)" >&2; exit 1; }
json=$WORK/annotations/person_keypoints_train2017.json
[ -f "$json" ] || "$BENCH" work_dir="$WORK" >/dev/null   # first run writes the JSON
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
c_s=(); c_mb=(); p_s=(); p_mb=()
for r in $(seq 1 "$ROUNDS"); do
    out=$("$BENCH" work_dir="$WORK" | tail -1)
    c_s+=("$(echo "$out" | sed -n 's/.*rows: \([0-9.]*\) s wall.*/\1/p')")
    c_mb+=("$(echo "$out" | sed -n 's/.*peak RSS \([0-9.]*\) MB.*/\1/p')")
    py=$(python3 -c '
import json, resource, sys, time
t = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    d = json.load(f)
print("%.3f %.0f %s" % (time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                       sys.version.split()[0]))
' "$json")
    read -r s mb ver <<< "$py"
    p_s+=("$s"); p_mb+=("$mb")
    echo "round $r: cpose convert ${c_s[-1]} s, ${c_mb[-1]} MB | python $ver json.load $s s, $mb MB"
done
cs=$(median "${c_s[@]}"); cm=$(median "${c_mb[@]}"); ps=$(median "${p_s[@]}"); pm=$(median "${p_mb[@]}")
awk -v cs="$cs" -v cm="$cm" -v ps="$ps" -v pm="$pm" -v n="$(nproc)" 'BEGIN {
    printf "median: cpose convert (parse + 63k label files) %.2f s, peak %d MB; python3 json.load alone %.2f s, peak %d MB; time ratio %.2f, memory ratio %.2f (%d cores)\n", cs, cm, ps, pm, cs / ps, cm / pm, n }'
