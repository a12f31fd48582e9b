#!/usr/bin/env bash
# tests/cli/val.sh — `cpose val` on a small synthetic dataset with one corrupt image in the val split
# (reported by name and skipped; the run goes on), COCOeval through the dataset's COCO JSON, the run
# folder, and clear errors for a missing split, a missing model file and an unknown key.
set -u
W="${CPOSE_FIXTURES:-$CPOSE_SOURCE_DIR/../shared/fixtures}/ultralytics/yolov8n-pose-seed0-bncal.h5"
[ -r "$W" ] || { echo "SKIP: bncal weights fixture not found"; exit 77; }
T=$(mktemp -d /tmp/cpose-test-cli-val-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
cd "$T" || exit 1

"$CPOSE_BIN" synth save_dir="$T/syn" train=1 val=3 imgsz=160 seed=5 >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
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
check "run files" '[ -s runs/pose/val/predictions.json ] && [ -s runs/pose/val/val.json ] && [ -s runs/pose/val/report.html ]'
check "no temporary files left" '[ -z "$(ls runs/pose/val | grep -i tmp)" ]'

out=$("$CPOSE_BIN" val model="$W" data="$T/syn/synth-pose.yaml" imgsz=160 2>&1)
check "second run: val2" 'grep -qx "Results saved to runs/pose/val2" <<<"$out"'

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
