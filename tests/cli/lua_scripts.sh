#!/usr/bin/env bash
# tests/cli/lua_scripts.sh — the job scripts in scripts/*.lua run end to end on the fixtures:
# scripts/convert_coco.lua reproduces JSON2YOLO's labels and records its input's sha256.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR not set}
FIX=${CPOSE_FIXTURES:-$SRC/../shared/fixtures}
[ -f "$FIX/json2yolo/in/test_coco.json" ] || { echo "SKIP: ../shared/fixtures not found"; exit 77; }
tmp=$(mktemp -d /tmp/cpose-test-luascripts-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../helpers/check.sh"

"$CPOSE" run "$SRC/scripts/convert_coco.lua" json_dir="$FIX/json2yolo/in" save_dir="$tmp/coco" >"$tmp/out.txt" 2>&1
check "convert_coco.lua exits 0" [ $? -eq 0 ]
check "labels equal JSON2YOLO's" diff -r "$FIX/json2yolo/out/labels" "$tmp/coco/labels"
check "names YAML equals JSON2YOLO's" cmp "$FIX/json2yolo/out/test_coco.yaml" "$tmp/coco/test_coco.yaml"
check "run.json beside the labels" [ -f "$tmp/coco/run.json" ]
check "input JSON hashed" grep -q "$(sha256sum "$FIX/json2yolo/in/test_coco.json" | cut -d' ' -f1)" "$tmp/coco/run.json"
check "summary printed" grep -q "label files" "$tmp/out.txt"

(cd "$tmp" && "$CPOSE" run convert_coco.lua save_dir="$tmp/none")  >"$tmp/out.txt" 2>"$tmp/err.txt"
check "missing json_dir exits 1" [ $? -eq 1 ]
check "missing json_dir explained" grep -q "give json_dir=" "$tmp/err.txt"

# scripts/coco_eval.lua: pycocotools' summary lines (ref_stats.json) and the report in the job folder
"$CPOSE" run "$SRC/scripts/coco_eval.lua" gt="$FIX/cocoeval/gt.json" pred="$FIX/cocoeval/dt.json" iou_type=both \
    save_dir="$tmp/eval" >"$tmp/out.txt" 2>&1
check "coco_eval.lua exits 0" [ $? -eq 0 ]
python3 - "$FIX/cocoeval/ref_stats.json" "$tmp/out.txt" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))
out = open(sys.argv[2]).read().splitlines()
want = ref["keypoints"]["summary_lines"] + ref["bbox"]["summary_lines"]
missing = [l for l in want if l not in out]
sys.exit(1 if missing or not want else 0)
PY
check "summary lines equal pycocotools'" [ $? -eq 0 ]
for f in report/metrics.json report/report.md report/report.html stats.json run.json; do
    check "coco_eval.lua wrote $f" [ -f "$tmp/eval/$f" ]
done
check "AP recorded as a metric" grep -Eq '"keypoints_ap":\s*0\.43282778' "$tmp/eval/run.json"
check "gt hashed" grep -q "$(sha256sum "$FIX/cocoeval/gt.json" | cut -d' ' -f1)" "$tmp/eval/run.json"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
