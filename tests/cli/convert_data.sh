#!/usr/bin/env bash
# tests/cli/convert_data.sh — the data modes end to end through the `cpose` binary: convert (the
# JSON2YOLO fixture tree, byte for byte; a refused non-empty folder), synth → check (0 corrupt),
# check on the coco8-pose fixture (8 images, 0 corrupt), extract, and argument errors.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN is not set}
FX="${CPOSE_SOURCE_DIR:-.}/../shared/fixtures"
T=$(mktemp -d /tmp/cpose-cli-data-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
expect() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

# synth → check: a dataset cpose wrote itself verifies clean
"$CPOSE" synth save_dir="$T/syn" n_train=6 n_val=3 imgsz=128 seed=1 >"$T/s1" 2>&1; rc=$?
expect '[ $rc -eq 0 ] && [ -f "$T/syn/synth-pose.yaml" ]' "synth: $(cat "$T/s1")"
expect '[ "$(ls "$T/syn/images/train" | wc -l)" = 6 ] && [ "$(ls "$T/syn/images/val" | wc -l)" = 3 ]' "synth image counts"
"$CPOSE" check data="$T/syn/synth-pose.yaml" >"$T/c1" 2>&1; rc=$?
expect '[ $rc -eq 0 ]' "check synth exit code: $(cat "$T/c1")"
expect 'grep -q "train: Scanning $T/syn/labels/train... 6 images, 0 backgrounds, 0 corrupt" "$T/c1"' "synth scan line: $(cat "$T/c1")"
# check's failure paths: no data=, a missing YAML, a missing val folder without download:, and a
# corrupt label (each exits non-zero and names the problem)
"$CPOSE" check >"$T/k1" 2>&1; rc=$?
expect '[ $rc -ne 0 ] && grep -q "data= is required" "$T/k1"' "check without data=: $(cat "$T/k1")"
"$CPOSE" check data="$T/nope.yaml" >"$T/k2" 2>&1; rc=$?
expect '[ $rc -ne 0 ] && grep -q "nope.yaml" "$T/k2"' "check of a missing YAML: $(cat "$T/k2")"
printf 'path: %s/gone\ntrain: images/train\nval: images/val\nnames:\n  0: person\n' "$T" >"$T/gone.yaml"
"$CPOSE" check data="$T/gone.yaml" >"$T/k3" 2>&1; rc=$?
expect '[ $rc -ne 0 ] && grep -q "$T/gone/images/val" "$T/k3"' "check of a missing val folder: $(cat "$T/k3")"
cp -r "$T/syn" "$T/syn-bad"
sed -i "s#^path: .*#path: $T/syn-bad#" "$T/syn-bad/synth-pose.yaml"
first=$(ls "$T/syn-bad/labels/val/" | grep '\.txt$' | head -1)
echo "0 0.5 0.5 1.7 0.2" >"$T/syn-bad/labels/val/$first" # too few values for 17 keypoints, w > 1
"$CPOSE" check data="$T/syn-bad/synth-pose.yaml" >"$T/k4" 2>&1; rc=$?
expect '[ $rc -ne 0 ] && grep -q "1 corrupt" "$T/k4" && grep -q "$first" "$T/k4"' "check with a corrupt label: $(cat "$T/k4")"
"$CPOSE" synth save_dir="$T/syn" n_train=2 n_val=1 >"$T/s2" 2>&1; rc=$?
expect '[ $rc -ne 0 ] && grep -q "exist_ok=True" "$T/s2"' "synth refuses a non-empty folder"
"$CPOSE" synth save_dir="$T/syn2" n_val=many >"$T/s3" 2>&1; rc=$?
expect '[ $rc -ne 0 ] && grep -q "n_val=many" "$T/s3"' "synth n_val= must be a count"

# extract: a tar.gz made with tar
mkdir -p "$T/src/pack/sub" && echo hello >"$T/src/pack/sub/x.txt"
tar -C "$T/src" -czf "$T/pack.tar.gz" pack
"$CPOSE" extract file="$T/pack.tar.gz" dir="$T/unpacked" >"$T/e1" 2>&1; rc=$?
expect '[ "$(cat "$T/unpacked/pack/sub/x.txt" 2>/dev/null)" = hello ]' "extract: $(cat "$T/e1")"
"$CPOSE" extract dir="$T/unpacked" >"$T/e2" 2>&1; rc=$?
expect '[ $rc -ne 0 ] && grep -q "file= is required" "$T/e2"' "extract without file="

if [ -d "$FX/json2yolo" ]; then
  "$CPOSE" convert json_dir="$FX/json2yolo/edgecase/in" save_dir="$T/conv" cls91to80=True >"$T/v1" 2>&1; rc=$?
  expect '[ $rc -eq 0 ]' "convert: $(cat "$T/v1")"
  expect 'diff -r "$FX/json2yolo/edgecase/out_cls91to80" "$T/conv" | grep -v "^Only in $T/conv: dataset.yaml" | grep -q . ; [ $? -ne 0 ]' "convert tree differs from JSON2YOLO's"
  "$CPOSE" convert json_dir="$FX/json2yolo/in" save_dir="$T/conv" >"$T/v2" 2>&1; rc=$?
  expect '[ $rc -ne 0 ] && grep -q "exist_ok=True" "$T/v2"' "convert refuses a non-empty save_dir"
  "$CPOSE" convert json_dir="$FX/json2yolo/in" save_dir="$T/conv" style=yolo >"$T/v3" 2>&1; rc=$?
  expect '[ $rc -ne 0 ] && grep -q "style=yolo" "$T/v3"' "convert style= check"
  # coco8-pose through a copy (tests never write beside the fixtures), its label folders made
  # read-only: the scan works and the cache is skipped with a warning, even for root
  cp -r "$FX/coco8-pose" "$T/coco8-pose" && chmod -R u+w "$T/coco8-pose" && chmod a-w "$T/coco8-pose/labels"
  printf 'path: %s\ntrain: images/train\nval: images/val\nkpt_shape: [17, 3]\nnames:\n  0: person\n' "$T/coco8-pose" >"$T/c8.yaml"
  "$CPOSE" check data="$T/c8.yaml" >"$T/c2" 2>&1; rc=$?
  expect '[ $rc -eq 0 ] && grep -q "val: Scanning .*coco8-pose/labels/val... 4 images, 0 backgrounds, 0 corrupt" "$T/c2"' "coco8 check: $(cat "$T/c2")"
  expect 'grep -q "not writeable, cache not saved" "$T/c2" && [ -z "$(ls "$T/coco8-pose/labels" | grep cache)" ]' "read-only labels folder: cache skipped with a warning"
  chmod u+w "$T/coco8-pose/labels"
  "$CPOSE" check data="$T/c8.yaml" >"$T/c3" 2>&1; rc=$?
  expect '[ $rc -eq 0 ] && [ -f "$T/coco8-pose/labels/val.cpose.cache" ] && [ -f "$T/coco8-pose/labels/train.cpose.cache" ]' "writable copy: caches saved: $(cat "$T/c3")"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ] || exit 1
if [ ! -d "$FX/json2yolo" ]; then
  echo "SKIP: ../shared/fixtures absent: the convert and coco8-pose parts did not run"
  exit 77
fi
