#!/usr/bin/env bash
# tests/cli/val_plots.sh — `cpose val` with plots=True (the default, as Ultralytics) writes the 8 curve
# PNGs (BoxPR_curve.png ... PoseR_curve.png, 1350 × 900) and val_batch<i>_labels.jpg / val_batch<i>_pred.jpg
# for each of the first three batches (here two: 5 images, batch=4) into the run folder, and lists them;
# plots=False writes none of them. Runs on a generated dataset.
set -u
T=$(mktemp -d /tmp/cpose-test-cli-valplots-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
# width and height of a PNG from its IHDR chunk
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'; }

"$CPOSE_BIN" synth save_dir="$T/synth" n_train=2 n_val=5 imgsz=64 seed=3 >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
out=$("$CPOSE_BIN" val model=yolov8n-pose.yaml data="$T/synth/synth-pose.yaml" imgsz=64 batch=4 project="$T/runs" name=on 2>&1)
rc=$?
check "plots=True: exit 0" '[ $rc = 0 ]'
for f in BoxPR_curve BoxF1_curve BoxP_curve BoxR_curve PosePR_curve PoseF1_curve PoseP_curve PoseR_curve; do
  check "$f.png is a 1350x900 PNG" '[ "$(png_size "$T/runs/on/$f.png")" = 1350x900 ]'
done
for f in val_batch0_labels val_batch0_pred val_batch1_labels val_batch1_pred; do
  check "$f.jpg is a JPEG" '[ "$(od -An -tx1 -N3 "$T/runs/on/$f.jpg" | tr -d " ")" = ffd8ff ]'
done
check "two val batches (5 images, batch=4): no val_batch2" '[ ! -e "$T/runs/on/val_batch2_labels.jpg" ] && [ ! -e "$T/runs/on/val_batch2_pred.jpg" ]'
check "the metric reports stay" '[ -s "$T/runs/on/val_report.html" ] && [ -s "$T/runs/on/val_metrics.json" ]'
check "no temporary files left" '[ -z "$(ls -a "$T/runs/on" | grep -i tmp)" ]'

out=$("$CPOSE_BIN" val model=yolov8n-pose.yaml data="$T/synth/synth-pose.yaml" imgsz=64 batch=4 project="$T/runs" name=off plots=False 2>&1)
rc=$?
check "plots=False: exit 0" '[ $rc = 0 ]'
check "plots=False: no curves or batch pictures" '[ -z "$(ls "$T/runs/off" | grep -E "curve|val_batch")" ]'
check "plots=False: the reports are written" '[ -s "$T/runs/off/val_report.md" ]'
[ $fail = 0 ] && echo "val_plots: all checks passed"
exit $fail
