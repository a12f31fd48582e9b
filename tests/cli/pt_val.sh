#!/usr/bin/env bash
# tests/cli/pt_val.sh — `cpose val model=synth-seed1-best.pt`: Ultralytics' own stripped fp16
# checkpoint of a yolov8n-pose that detects, validated on the synthetic split it was validated on
# (`cpose synth n_val=64 imgsz=256 seed=0`, batch 16), with no imgsz= given: the checkpoint's
# train_args (imgsz 256) set it, as Ultralytics does. All eight metrics must equal
# ultralytics-val-metrics.json to 1e-4 (at the default 640 they would not).
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN is not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR is not set}
FIX="$SRC/../shared/fixtures/ultralytics/synth-trained"
[ -r "$FIX/synth-seed1-best.pt" ] || { echo "SKIP: ../shared/fixtures not found (fixture tests need the shared folder beside the checkout)"; exit 77; }
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: python3 is needed to compare the metrics"; exit 77; }
T=$(mktemp -d /tmp/cpose-ptval-XXXXXX)
trap 'rm -rf "$T"' EXIT

pass=0
fail=0
"$CPOSE" synth save_dir="$T/synth" n_train=0 n_val=64 imgsz=256 seed=0 >"$T/o0" 2>&1 || { cat "$T/o0"; echo "FAIL: synth"; exit 1; }
"$CPOSE" val model="$FIX/synth-seed1-best.pt" data="$T/synth/synth-pose.yaml" batch=16 project="$T/runs" name=v \
  >"$T/o1" 2>&1
rc=$?
if [ $rc = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: val: $(tail -5 "$T/o1")"; fi
if "$PY" - "$T/runs/v/val_metrics.json" "$FIX/ultralytics-val-metrics.json" <<'PYEOF'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: metrics differ"; fi
import json, sys
ours, ref = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = 0
for k in ["metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)",
          "metrics/precision(P)", "metrics/recall(P)", "metrics/mAP50(P)", "metrics/mAP50-95(P)"]:
    d = abs(ours[k] - ref[k])
    print("%-22s cpose %.6f  ultralytics %.6f  |diff| %.2g" % (k, ours[k], ref[k], d))
    bad += d > 1e-4
sys.exit(1 if bad else 0)
PYEOF
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
