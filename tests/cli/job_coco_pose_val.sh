#!/usr/bin/env bash
# tests/cli/job_coco_pose_val.sh — scripts/coco-pose-val.lua against a real local HTTP server
# (python3 -m http.server on 127.0.0.1) serving stand-ins of val2017.zip and
# annotations_trainval2017.zip built from the cocoeval fixture (4 real val2017 images, their people):
# download, extract, convert (labels equal JSON2YOLO's output in the ultralytics style), dataset
# YAML, val with the bncal weights + COCOeval, report; a wrong URL fails naming it.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR not set}
FIX=${CPOSE_FIXTURES:-$SRC/../shared/fixtures}
W=$FIX/ultralytics/yolov8n-pose-seed0-bncal.h5
[ -r "$W" ] && [ -r "$FIX/cocoeval/gt.json" ] || { echo "SKIP: fixtures not found"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
T=$(mktemp -d /tmp/cpose-test-job-cocoval-XXXXXX)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
cd "$T" || exit 1
. "$(dirname "$0")/../helpers/check.sh"

# the stand-in archives, laid out like the official ones
mkdir -p www/zips www/annotations
python3 - "$FIX/cocoeval" www <<'PY'
import glob, json, os, sys, zipfile
fix, www = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(os.path.join(www, "zips/val2017.zip"), "w") as z:
    for p in sorted(glob.glob(os.path.join(fix, "*.jpg"))):
        z.write(p, "val2017/" + os.path.basename(p))
gt = json.load(open(os.path.join(fix, "gt.json")))
with zipfile.ZipFile(os.path.join(www, "annotations/annotations_trainval2017.zip"), "w") as z:
    z.writestr("annotations/person_keypoints_val2017.json", json.dumps(gt))
    # another file of the real archive: must not be converted
    z.writestr("annotations/instances_val2017.json", json.dumps({"images": [], "annotations": [], "categories": []}))
PY
python3 -c '
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()' "$T/www" "$T/port.tmp" &
srv=$!
for _ in $(seq 50); do [ -s "$T/port.tmp" ] && break; sleep 0.1; done
PORT=$(cat "$T/port.tmp")
[ -n "$PORT" ] || { echo "FAIL: http server did not start"; exit 1; }

"$CPOSE" run "$SRC/scripts/coco-pose-val.lua" model="$W" base_url="http://127.0.0.1:$PORT" dir="$T/coco-pose" \
    batch=4 save_dir="$T/job" >"$T/out" 2>&1
check "coco-pose-val exits 0" [ $? -eq 0 ] || cat "$T/out" | tail -20 >&2
for step in "[1/5] downloaded http://127.0.0.1:$PORT/zips/val2017.zip" "[2/5] extracted" \
            "[3/5] convert_coco: 4 label files" "[4/5] val ($W): Box mAP50" "[5/5] report $T/job/report" \
            "Evaluate annotation type *keypoints*" "Evaluate annotation type *bbox*"; do
    check "printed: $step" grep -qF "$step" "$T/out"
done
check "4 images extracted" [ "$(ls "$T"/coco-pose/images/val2017/*.jpg | wc -l)" -eq 4 ]
check "dataset YAML" grep -qx "val: images/val2017" "$T/coco-pose/coco-pose.yaml"
check "only the person keypoints converted" [ ! -e "$T/coco-pose/converted/labels/instances_val2017" ]
# labels: JSON2YOLO's output for the same JSON (fixture), in the ultralytics style (%.6f, people
# without keypoints left out); both sides are rounded to 6 digits (%g vs %.6f): within 1e-6
python3 - "$FIX/json2yolo/out/labels/test_coco" "$T/coco-pose/labels/val2017" <<'PY'
import glob, os, sys
ref, got = sys.argv[1], sys.argv[2]
names = sorted(os.path.basename(p) for p in glob.glob(ref + "/*.txt"))
assert names == sorted(os.path.basename(p) for p in glob.glob(got + "/*.txt")), "label file names differ"
for n in names:
    want = [[float(x) for x in l.split()] for l in open(os.path.join(ref, n)) if l.strip()]
    want = [r for r in want if any(r[5 + 3 * k + 2] > 0 for k in range(17))]
    have = [l.split() for l in open(os.path.join(got, n)) if l.strip()]
    assert all(len(x.split(".")[1]) == 6 for r in have for x in r[1:]), "not %.6f"
    have = [[float(x) for x in r] for r in have]
    assert len(want) == len(have), (n, len(want), len(have))
    for a, b in zip(want, have):
        assert all(abs(x - y) <= 1.01e-6 for x, y in zip(a, b)), n
PY
check "labels equal JSON2YOLO's (ultralytics style)" [ $? -eq 0 ]
python3 - "$T" "$FIX/cocoeval/gt.json" <<'PY'
import hashlib, json, sys
T, gtp = sys.argv[1], sys.argv[2]
ids = {im["id"] for im in json.load(open(gtp))["images"]}
pred = json.load(open(T + "/job/val/predictions.json"))
assert pred and {p["image_id"] for p in pred} <= ids
v = json.load(open(T + "/job/val/val_metrics.json"))
assert v["images"] == 4 and v["instances"] == 12, v
run = json.load(open(T + "/job/run.json"))
assert run["status"] == "ok", run.get("error")
inputs = {i["path"]: i["sha256"] for i in run["inputs"]}
import zipfile
with zipfile.ZipFile(T + "/www/annotations/annotations_trainval2017.zip") as z:
    gt_sha = hashlib.sha256(z.read("annotations/person_keypoints_val2017.json")).hexdigest()
assert [h for p, h in inputs.items() if p == T + "/coco-pose/annotations/person_keypoints_val2017.json"] == [gt_sha], \
    "COCOeval's GT (the extracted person_keypoints_val2017.json) not recorded as an input"
for z in ("zips/val2017.zip", "annotations/annotations_trainval2017.zip"):
    want = hashlib.sha256(open(T + "/www/" + z, "rb").read()).hexdigest()
    got = [h for p, h in inputs.items() if p.endswith("/zips/" + z.split("/")[1])]
    assert got == [want], (z, got, want)
stats = json.load(open(T + "/job/stats.json"))
assert len(stats["keypoints"]) == 10 and len(stats["bbox"]) == 12
PY
check "predictions, val_metrics.json, run.json (zips hashed) and report stats" [ $? -eq 0 ]

# the COCOeval stats by value: stats[0] and stats[1] of both types against tests/helpers/mini_cocoeval.py,
# an independent plain-Python COCOeval (it reproduces pycocotools' figures of fixtures/cocoeval)
for type in keypoints bbox; do
  want=$(python3 "$(dirname "$0")/../helpers/mini_cocoeval.py" "$T/coco-pose/annotations/person_keypoints_val2017.json" \
      "$T/job/val/predictions.json" $type)
  check "COCOeval $type AP and AP50 by value ($want)" python3 -c '
import json, sys
got = json.load(open(sys.argv[1]))[sys.argv[2]][:2]
want = [float(x) for x in sys.argv[3].split()]
print("cpose", got, "independent", want)
sys.exit(0 if len(want) == 2 and all(abs(a - b) <= 1e-9 for a, b in zip(got, want)) else 1)' "$T/job/stats.json" $type "$want"
done

# a rerun on the same dir with the server stopped: the kept zips are reused, labels rebuilt
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
cp -r "$T/coco-pose/labels/val2017" "$T/labels_first"
"$CPOSE" run "$SRC/scripts/coco-pose-val.lua" model="$W" base_url="http://127.0.0.1:$PORT" dir="$T/coco-pose" \
    batch=4 save_dir="$T/job_rerun" >"$T/out_rerun" 2>&1
check "rerun without the server exits 0" [ $? -eq 0 ]
check "rerun: same labels" diff -r "$T/labels_first" "$T/coco-pose/labels/val2017"
check "rerun: 4 label files" [ "$(ls "$T"/coco-pose/labels/val2017/*.txt | wc -l)" -eq 4 ]
python3 -c '
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), functools.partial(Quiet, directory=sys.argv[1]))
s.serve_forever()' "$T/www" "$PORT" &
srv=$!
sleep 0.5

# a wrong URL names it
"$CPOSE" run "$SRC/scripts/coco-pose-val.lua" model="$W" base_url="http://127.0.0.1:$PORT" dir="$T/coco-pose2" \
    annotations_url="http://127.0.0.1:$PORT/nope/annotations_trainval2017.zip" save_dir="$T/job2" >"$T/out2" 2>&1
check "missing annotations zip exits 1" [ $? -eq 1 ]
check "missing URL named" grep -qF "http://127.0.0.1:$PORT/nope/annotations_trainval2017.zip" "$T/out2"
"$CPOSE" run "$SRC/scripts/coco-pose-val.lua" save_dir="$T/job3" >"$T/out3" 2>&1
check "missing model= explained" grep -qF "give model=" "$T/out3"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
