#!/usr/bin/env bash
# tests/cli/val.sh — `cpose val`: a small synthetic dataset with one corrupt image in the val split
# (reported by name and skipped; the run goes on), COCOeval through the dataset's COCO JSON, run
# folders; coco8-pose's printed row against Ultralytics'; per-class rows of a 2-class model and
# single_cls; clear errors for a missing split, a missing model file, an unknown key, no data=.
set -u
W="${CPOSE_FIXTURES:-$CPOSE_SOURCE_DIR/../shared/fixtures}/ultralytics/yolov8n-pose-seed0-bncal.h5"
[ -r "$W" ] || { echo "SKIP: bncal weights fixture not found"; exit 77; }
T=$(mktemp -d /tmp/cpose-test-cli-val-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
cd "$T" || exit 1

"$CPOSE_BIN" synth save_dir="$T/syn" n_train=1 n_val=3 imgsz=160 seed=5 >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
# a corrupt image (not a JPEG at all) with a valid label file
head -c 300 /dev/zero | tr '\0' 'x' >"$T/syn/images/val/000000099999.jpg"
cp "$(ls -d "$T"/syn/labels/val/*.txt | head -1)" "$T/syn/labels/val/000000099999.txt"

out=$("$CPOSE_BIN" val model="$W" data="$T/syn/synth-pose.yaml" imgsz=160 batch=2 save_json=True 2>"$T/err")
rc=$?
err=$(cat "$T/err")
check "exit code 0 with a corrupt image" '[ $rc = 0 ]'
check "corrupt image named" 'grep -q "000000099999.jpg" <<<"$err"'
check "scan counts it" 'grep -q "3 images, 0 backgrounds, 1 corrupt" <<<"$out$err"'
check "table header" 'grep -qF "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)     Pose(P          R      mAP50  mAP50-95)" <<<"$out"'
check "all row: 3 images" 'grep -qE "^ +all +3 +[0-9]+ " <<<"$out"'
check "speed line" 'grep -qE "^Speed: [0-9.]+ms preprocess, [0-9.]+ms inference, 0.0ms loss, [0-9.]+ms postprocess per image$" <<<"$out"'
check "COCOeval keypoints" 'grep -qF "Evaluate annotation type *keypoints*" <<<"$out"'
check "COCOeval AP line" 'grep -qE "^ Average Precision  \(AP\) @\[ IoU=0.50:0.95 \| area=   all \| maxDets= 20 \] = " <<<"$out"'
check "results saved" 'grep -qx "Results saved to runs/pose/val" <<<"$out"'
check "run files" '[ -s runs/pose/val/predictions.json ] && [ -s runs/pose/val/val_metrics.json ] && [ -s runs/pose/val/val_report.html ] && [ -s runs/pose/val/report.html ]'
check "no temporary files left" '[ -z "$(ls runs/pose/val | grep -i tmp)" ]'


# coco8-pose: the row Ultralytics 8.1.47 printed (fixtures/ultralytics/val-coco8-pose/README.md)
C8="${CPOSE_FIXTURES:-$CPOSE_SOURCE_DIR/../shared/fixtures}/coco8-pose"
printf 'path: %s\ntrain: images/train\nval: images/val\nkpt_shape: [17, 3]\nnames:\n  0: person\n' "$C8" >"$T/c8.yaml"
out=$("$CPOSE_BIN" val model="$W" data="$T/c8.yaml" batch=4 imgsz=640 name=c8 2>/dev/null)
check "coco8-pose all row" 'grep -qxF "                   all          4         14    0.00955      0.429    0.00599    0.00334          0          0          0          0" <<<"$out"'
check "coco8-pose saved" 'grep -qx "Results saved to runs/pose/c8" <<<"$out"'

out=$("$CPOSE_BIN" val model="$W" data="$T/syn/synth-pose.yaml" imgsz=160 conf=1 save_json=True 2>&1)
check "no detections: no predictions.json" '[ ! -e runs/pose/val2/predictions.json ] && grep -q "predictions.json not written" <<<"$out"'
check "second run: val2" 'grep -qx "Results saved to runs/pose/val2" <<<"$out"'

# two classes (a fresh 2-class model, every second label relabelled): per-class rows with the names
sed 's/^nc: 1 /nc: 2 /' "$CPOSE_SOURCE_DIR/core/cfg/models/yolov8-pose.yaml" >"$T/yolov8n-pose-2cls.yaml"
# (seed 3: the fresh model has true positives there, so Ultralytics computes and prints class rows)
"$CPOSE_BIN" synth save_dir="$T/syn3" n_train=1 n_val=3 imgsz=160 seed=3 >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
mkdir -p "$T/two/images" "$T/two/labels/val"
cp -r "$T/syn3/images/val" "$T/two/images/val"
for f in "$T"/syn3/labels/val/*.txt; do awk 'NR%2==0{$1=1}1' "$f" >"$T/two/labels/val/$(basename "$f")"; done
printf 'path: %s\ntrain: images/val\nval: images/val\nkpt_shape: [17, 3]\nnames:\n  0: adult\n  1: child\n' "$T/two" >"$T/two.yaml"
out=$("$CPOSE_BIN" val model="$T/yolov8n-pose-2cls.yaml" data="$T/two.yaml" imgsz=160 name=two 2>&1)
check "2 classes: adult row" 'grep -qE "^ +adult +3 +[0-9]+ " <<<"$out"'
check "2 classes: child row" 'grep -qE "^ +child +3 +[0-9]+ " <<<"$out"'
out=$("$CPOSE_BIN" val model="$T/yolov8n-pose-2cls.yaml" data="$T/two.yaml" imgsz=160 name=two single_cls=True 2>&1)
check "single_cls: all row only" 'grep -qE "^ +all +3 +" <<<"$out" && ! grep -q "adult" <<<"$out"'
out=$("$CPOSE_BIN" val model="$T/yolov8n-pose-2cls.yaml" data="$T/syn/synth-pose.yaml" imgsz=160 2>&1)
check "class mismatch: message" 'grep -q "synth-pose.yaml has 1 class but the model has 2" <<<"$out"'

out=$("$CPOSE_BIN" val model="$W" data="$T/syn/synth-pose.yaml" split=test 2>&1)
rc=$?
check "missing split: exit 1" '[ $rc = 1 ]'
check "missing split: message" 'grep -q "synth-pose.yaml: the dataset has no '"'"'test'"'"' split" <<<"$out"'

out=$("$CPOSE_BIN" val model="$T/nope.h5" data="$T/syn/synth-pose.yaml" 2>&1)
rc=$?
check "missing model: exit 1" '[ $rc = 1 ]'
check "missing model: message" 'grep -q "nope.h5: no such weights file" <<<"$out"'

out=$("$CPOSE_BIN" val model="$W" data="$T/syn/synth-pose.yaml" imgsize=160 2>&1)
rc=$?
check "unknown key: exit 1" '[ $rc = 1 ]'
check "unknown key: nearest" 'grep -q "'"'"'imgsize'"'"' is not a valid argument; did you mean '"'"'imgsz'"'"'" <<<"$out"'

out=$("$CPOSE_BIN" val model="$W" 2>&1)
check "no data: message" 'grep -q "pass data=<dataset YAML>" <<<"$out"'

exit $fail
