#!/usr/bin/env bash
# tests/cli/eval.sh — `cpose eval` on fixtures/cocoeval: pycocotools' summary lines, the stats JSON,
# the report folder, and clear errors for bad input (exit 77 when the fixtures are absent).
set -u
F="${CPOSE_FIXTURES:-$CPOSE_SOURCE_DIR/../shared/fixtures}/cocoeval"
[ -r "$F/gt.json" ] || { echo "SKIP: fixtures/cocoeval not found"; exit 77; }
T=$(mktemp -d /tmp/cpose-test-cli-eval-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }

out=$("$CPOSE_BIN" eval gt="$F/gt.json" pred="$F/dt.json" iou_type=both json="$T/s.json" report="$T/rep" 2>&1)
rc=$?
check "exit code 0" '[ $rc = 0 ]'
check "keypoints AP line" 'grep -qxF " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.433" <<<"$out"'
check "keypoints AR large" 'grep -qxF " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.671" <<<"$out"'
check "bbox AR@1" 'grep -qxF " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.207" <<<"$out"'
check "bbox small AP" 'grep -qxF " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.505" <<<"$out"'
check "stats json" 'grep -q "\"keypoints\":" "$T/s.json" && grep -q "\"bbox\":" "$T/s.json"'
check "report files" '[ -s "$T/rep/metrics.json" ] && [ -s "$T/rep/report.md" ] && [ -s "$T/rep/report.html" ]'
check "no temporary files left" '[ -z "$(ls "$T/rep" | grep tmp)" ]'

out=$("$CPOSE_BIN" eval gt="$F/gt.json" pred="$F/dt_real_det_bbox.json" iou_type=bbox 2>&1)
check "real detector AP" 'grep -qxF " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.789" <<<"$out"'

# both files read from pipes (the streaming reader, not the mmap one): the same stats
out=$("$CPOSE_BIN" eval gt=<(cat "$F/gt.json") pred=<(cat "$F/dt.json") iou_type=keypoints 2>&1)
rc=$?
check "pipes: exit code 0" '[ $rc = 0 ]'
check "pipes: keypoints AP line" 'grep -qxF " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.433" <<<"$out"'
check "pipes: keypoints AR large" 'grep -qxF " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.671" <<<"$out"'
out=$("$CPOSE_BIN" eval gt="$F/gt.json" pred=<(printf '[{"image_id": 785, "score": ]') 2>&1)
rc=$?
check "pipe: malformed JSON fails" '[ $rc = 1 ] && grep -qi "json\|expected\|invalid\|syntax" <<<"$out"'

printf '[{"image_id": 99, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]' >"$T/bad_img.json"
out=$("$CPOSE_BIN" eval gt="$F/gt.json" pred="$T/bad_img.json" iou_type=bbox 2>&1)
rc=$?
check "unknown image: exit 1" '[ $rc = 1 ]'
check "unknown image: message" 'grep -q "image_id 99, which is not an image of" <<<"$out"'

printf '[{"image_id": 785, "score": ]' >"$T/broken.json"
out=$("$CPOSE_BIN" eval gt="$F/gt.json" pred="$T/broken.json" 2>&1)
rc=$?
check "malformed: exit 1" '[ $rc = 1 ]'
check "malformed: names file" 'grep -q "broken.json" <<<"$out"'

sed 's/"category_id": 1/"category_id": 0/g' "$F/dt.json" >"$T/cat0.json"
out=$("$CPOSE_BIN" eval gt="$F/gt.json" pred="$T/cat0.json" 2>&1)
check "category 0 results: warned" 'grep -q "14 of 14 results have a category_id that is not a category" <<<"$out"'
check "category 0 results: AP 0" 'grep -qxF " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.000" <<<"$out"'

out=$("$CPOSE_BIN" eval gt="$F/gt.json" pred="$F/dt.json" iou_type=segm 2>&1)
check "bad iou_type" 'grep -q "use keypoints, bbox or both" <<<"$out"'
out=$("$CPOSE_BIN" eval gt="$F/gt.json" json="$T/x.json" 2>&1)
check "missing pred" 'grep -q "pred= are required" <<<"$out"'
check "nothing written on error" '[ ! -e "$T/x.json" ]'
"$CPOSE_BIN" eval gt="$F/gt.json" pred="$F/dt.json" report="$T/rep" json="$T/rep/sub/stats.json" verbose=False >/dev/null 2>&1
check "json= inside report=" '[ -s "$T/rep/sub/stats.json" ] && [ -s "$T/rep/report.html" ]'
exit $fail
