#!/usr/bin/env bash
# tests/cli/train_learning.sh — the learning test (slow): cpose's synthetic people
# (`cpose synth n_train=256 n_val=64 imgsz=256 seed=0`), yolov8n-pose.yaml from scratch, imgsz 256,
# batch 16, 40 epochs, seed 0, as Ultralytics 8.1.47 was run on this machine kind (issue 18: final box
# mAP50-95 0.510, pose mAP50 0.306). cpose's final epoch must reach at least 90 % of both:
# box mAP50-95 ≥ 0.459 and pose mAP50 ≥ 0.2754 (results.csv columns metrics/mAP50-95(B), metrics/mAP50(P)).
# Prints the per-epoch curve. THREADS= sets the thread count (default 2, as the reference).
set -u
T=$(mktemp -d /tmp/cpose-test-cli-learn-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
"$CPOSE_BIN" synth save_dir="$T/syn" n_train=256 n_val=64 imgsz=256 seed=0 >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
start=$(date +%s)
"$CPOSE_BIN" train data="$T/syn/synth-pose.yaml" model=yolov8n-pose.yaml imgsz=256 batch=16 epochs=40 seed=0 \
  workers=2 threads="${THREADS:-2}" project="$T/runs" name=learn plots=False >"$T/train.log" 2>&1
rc=$?
end=$(date +%s)
[ $rc = 0 ] || { tail -20 "$T/train.log"; echo "FAIL: train exited $rc"; exit 1; }
csv="$T/runs/learn/results.csv"
# the curve: epoch, box mAP50, box mAP50-95, pose mAP50, pose mAP50-95
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { gsub(/ /, "", $i); col[$i] = i }; print "epoch  box mAP50  box mAP50-95  pose mAP50  pose mAP50-95"; next }
         { printf "%5d  %9.3f  %11.3f  %10.3f  %13.3f\n", $1, $col["metrics/mAP50(B)"], $col["metrics/mAP50-95(B)"], $col["metrics/mAP50(P)"], $col["metrics/mAP50-95(P)"] }' "$csv"
echo "wall time $((end - start)) s (Ultralytics 8.1.47: 442 s)"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { gsub(/ /, "", $i); col[$i] = i }; next }
         { b = $col["metrics/mAP50-95(B)"]; p = $col["metrics/mAP50(P)"] }
         END { ok = (b >= 0.9 * 0.510) && (p >= 0.9 * 0.306);
               printf "final box mAP50-95 %.3f (need >= %.3f), pose mAP50 %.3f (need >= %.4f): %s\n", b, 0.9 * 0.510, p, 0.9 * 0.306, ok ? "ok" : "FAIL";
               exit ok ? 0 : 1 }' "$csv"
