#!/bin/bash
# tests/cli/predict_e2e.sh — `cpose predict` end to end on the coco8-pose val images with the bncal
# weights, plus a corrupt image (reported by name, skipped, run succeeds), txt labels, JSON, run dirs.
set -u
FIX="${CPOSE_SOURCE_DIR}/../shared/fixtures"
[ -n "${CPOSE_FIXTURES:-}" ] && FIX="$CPOSE_FIXTURES"
if [ ! -d "$FIX/coco8-pose" ]; then echo "SKIP: fixtures not found"; exit 77; fi
W="$FIX/ultralytics/yolov8n-pose-seed0-bncal.h5"
T=$(mktemp -d /tmp/cpose-cli-predict-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$1"; then :; else echo "FAIL: $1"; fail=1; fi; }

mkdir -p "$T/imgs"
for f in "$FIX"/coco8-pose/images/val/*.jpg; do ln -s "$f" "$T/imgs/$(basename "$f")"; done
head -c 3000 /dev/urandom > "$T/imgs/corrupt.jpg"
cd "$T"

"$CPOSE_BIN" predict model="$W" source="$T/imgs" conf=0.001 save_txt=True save_conf=True threads=2 \
    >out.txt 2>err.txt
rc=$?
cat out.txt err.txt
check '[ $rc -eq 0 ]'
# Five sources (sorted), the corrupt one named in a warning; network input sizes H×W by hand.
check 'grep -q "^image 1/5 $T/imgs/000000000110.jpg: 480x640 " out.txt'
check 'grep -q "^image 2/5 $T/imgs/000000000113.jpg: 640x416 " out.txt'
check 'grep -q "^image 3/5 $T/imgs/000000000136.jpg: 480x640 " out.txt'
check 'grep -q "^image 4/5 $T/imgs/000000000151.jpg: 640x480 " out.txt'
check 'grep -q "corrupt.jpg" err.txt'
check '! grep -q "^image 5/5" out.txt'
check 'grep -Eq "^Speed: [0-9.]+ms preprocess, [0-9.]+ms inference, [0-9.]+ms postprocess per image at shape \(1, 3, 640, 480\)" out.txt'
check 'grep -q "^Results saved to runs/pose/predict$" out.txt'
check 'grep -q "^4 labels saved to runs/pose/predict/labels$" out.txt'
R=runs/pose/predict
# Annotated images keep the original sizes.
check 'file $R/000000000113.jpg | grep -q "416x640"'
check 'file $R/000000000136.jpg | grep -q "500x374"'
check '[ ! -e $R/corrupt.jpg ]'
# Labels: cls + 4 box + 17×3 keypoints + conf = 57 fields, coordinates normalised to [0, 1].
check '[ $(ls $R/labels | wc -l) -eq 4 ]'
check 'awk "NF != 57 { bad = 1 } END { exit bad }" $R/labels/*.txt'
check 'awk "{ for (i = 2; i <= 5; i++) if (\$i < 0 || \$i > 1) bad = 1; if (\$57 <= 0.001 || \$57 > 1) bad = 1 } END { exit bad }" $R/labels/*.txt'
# predictions.json: one row per label line, integer image ids, 51 keypoints, boxes inside the image.
python3 - "$R" <<'PY' || fail=1
import json, os, sys
r = sys.argv[1]
rows = json.load(open(os.path.join(r, "predictions.json")))
lines = sum(len(open(os.path.join(r, "labels", f)).read().splitlines()) for f in os.listdir(os.path.join(r, "labels")))
sizes = {110: (640, 480), 113: (416, 640), 136: (500, 374), 151: (480, 640)}
ok = len(rows) == lines and len(rows) > 0
for d in rows:
    w, h = sizes[d["image_id"]]
    x, y, bw, bh = d["bbox"]
    ok &= d["category_id"] == 0 and len(d["keypoints"]) == 51 and 0.001 < d["score"] <= 1
    ok &= 0 <= x <= w and 0 <= y <= h and x + bw <= w + 1e-3 and y + bh <= h + 1e-3
    ok &= all(0 <= d["keypoints"][3 * k] <= w and 0 <= d["keypoints"][3 * k + 1] <= h for k in range(17))
    ok &= d["bbox"] == [round(v) for v in d["bbox"]]  # predict rounds boxes to whole pixels
per = {}
for d in rows: per.setdefault(d["image_id"], []).append(d["score"])
ok &= all(s == sorted(s, reverse=True) for s in per.values()) and all(len(s) <= 300 for s in per.values())
print("predictions.json rows:", len(rows), "label lines:", lines, "ok" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
PY

# Second run: the next run folder, default conf 0.25 and max_det.
"$CPOSE_BIN" predict model="$W" source="$FIX/coco8-pose/images/val/000000000110.jpg" save_txt=True max_det=2 \
    conf=0.001 threads=2 >out2.txt 2>&1
check '[ $? -eq 0 ]'
check 'grep -q "^Results saved to runs/pose/predict2$" out2.txt'
check '[ $(wc -l < runs/pose/predict2/labels/000000000110.txt) -eq 2 ]'

# Bad input: missing source, unknown class id, nothing readable.
"$CPOSE_BIN" predict model="$W" source="$T/nope.jpg" >out3.txt 2>&1
check '[ $? -ne 0 ] && grep -q "nope.jpg" out3.txt'
"$CPOSE_BIN" predict model="$W" source="$T/imgs/corrupt.jpg" save=False >out4.txt 2>&1
check '[ $? -ne 0 ] && grep -q "corrupt.jpg" out4.txt'
"$CPOSE_BIN" predict model="$W" source="$T/imgs" classes=3 save=False >out5.txt 2>&1
check '[ $? -ne 0 ] && grep -q "classes=3" out5.txt'
exit $fail
