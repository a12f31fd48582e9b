#!/usr/bin/env bash
# tests/cli/job_nightly.sh — scripts/nightly.lua: two checkpoints × two small synthetic datasets give a
# dated report whose table equals the val runs' own metrics; a doctored previous report with a higher
# metric makes the job fail and list that drop; an equal previous report (found as the newest earlier
# dated folder) passes; bad arguments are refused with the key named.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR not set}
FIX=${CPOSE_FIXTURES:-$SRC/../shared/fixtures}
W1=$FIX/ultralytics/yolov8n-pose-seed0-bncal.h5
W2=$FIX/ultralytics/yolov8n-pose-seed0.h5
[ -r "$W1" ] && [ -r "$W2" ] || { echo "SKIP: weight fixtures not found"; exit 77; }
T=$(mktemp -d /tmp/cpose-test-job-nightly-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
cd "$T" || exit 1
. "$(dirname "$0")/../helpers/check.sh"
for s in 1 2; do
    "$CPOSE" synth save_dir="$T/syn$s" n_train=1 n_val=2 imgsz=160 seed=$s >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
done
R=$T/reports
run() { "$CPOSE" run "$SRC/scripts/nightly.lua" reports="$R" imgsz=160 batch=2 "$@"; }

# night 1: no previous report
run models="$W1,$W2" data="$T/syn1/synth-pose.yaml,$T/syn2/synth-pose.yaml" date=2026-01-01 \
    save_dir="$T/job1" >"$T/out1" 2>&1
check "night 1 exits 0" [ $? -eq 0 ]
D1=$R/2026-01-01
check "night 1 wrote nightly.json and nightly.md" [ -s "$D1/nightly.json" -a -s "$D1/nightly.md" ]
check "night 1 says nothing compared" grep -q "No previous report" "$D1/nightly.md"
python3 - "$D1" <<'PY'
import glob, json, os, sys
d = sys.argv[1]
rep = json.load(open(os.path.join(d, "nightly.json")))
rows = rep["results"]
assert len(rows) == 4, len(rows)
md = open(os.path.join(d, "nightly.md")).read().splitlines()
table = [l for l in md if l.startswith("| /")]
assert len(table) == 4, table
for r, line in zip(rows, table):
    v = json.load(open(os.path.join(r["save_dir"], "val_metrics.json")))   # what `val` itself wrote
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[0] == r["model"] and cells[1] == r["data"], cells
    want = [v["box"]["map50"], v["box"]["map"], v["pose"]["map50"], v["pose"]["map"]]
    got = [r["box"]["map50"], r["box"]["map"], r["pose"]["map50"], r["pose"]["map"]]
    assert all(abs(a - b) < 1e-12 for a, b in zip(got, want)), (got, want)
    assert [float(c) for c in cells[3:7]] == [round(x, 4) for x in want], (cells, want)
    assert int(cells[2]) == v["images"] == 2
    assert r["imgsz"] == 160 and cells[7] == "160", (r, cells)   # the size each row used
# the two checkpoints differ: the table is not one row repeated
assert len({(r["box"]["map50"], r["box"]["map"]) for r in rows}) > 1
PY
check "table equals the val runs' metrics" [ $? -eq 0 ]

# night 2 against a doctored copy of night 1 where one metric was higher
mkdir -p "$T/doctored"
python3 - "$D1/nightly.json" "$T/doctored/nightly.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
rep["results"][1]["box"]["map50"] += 0.05
json.dump(rep, open(sys.argv[2], "w"))
PY
run models="$W1" data="$T/syn1/synth-pose.yaml,$T/syn2/synth-pose.yaml" date=2026-01-02 \
    previous="$T/doctored" save_dir="$T/job2" >"$T/out2" 2>&1
check "a drop exits non-zero" [ $? -ne 0 ]
check "the drop is listed in the error" grep -q "1 metric(s) dropped by more than 0.01" "$T/out2"
check "the drop names model, data and metric" grep -q "yolov8n-pose-seed0-bncal.h5 on $T/syn2/synth-pose.yaml: Box mAP50" "$T/out2"
# deltas are compared as numbers, not text: "-0.0000", "+0.0000" and "−0.0000" (U+2212) are all zero
delta_is() { # FILE LINE-REGEX WANT: the first "(±d.dddd)" on the first line matching LINE-REGEX equals WANT within 5e-5
    python3 - "$@" <<'PY'
import re, sys
path, pattern, want = sys.argv[1], sys.argv[2], float(sys.argv[3])
for line in open(path, encoding="utf-8"):
    if re.search(pattern, line):
        m = re.search(r"\(([+\-\u2212]?[0-9.]+)\)", line)
        sys.exit(0 if m and abs(float(m.group(1).replace("\u2212", "-")) - want) < 5e-5 else 1)
sys.exit(1)
PY
}
check "the drop is in the Markdown report" delta_is "$R/2026-01-02/nightly.md" "Box mAP50 .* \\(" -0.05
check "run.json says failed" grep -q '"status":\s*"failed"' "$T/job2/run.json"
python3 - "$R/2026-01-02/nightly.json" "$T/doctored/nightly.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
assert rep["previous"] == sys.argv[2] and rep["compared"] == 2 and rep["n_drops"] == 1, rep
d = rep["drops"][0]
assert d["metric"] == "Box mAP50" and abs(d["drop"] - 0.05) < 1e-9 and d["data"].endswith("syn2/synth-pose.yaml"), d
PY
check "nightly.json lists the drop" [ $? -eq 0 ]

# night 3: previous = the newest earlier dated folder (2026-01-02, equal metrics; the second
# checkpoint is no longer listed) → exit 0
run models="$W1" data="$T/syn1/synth-pose.yaml,$T/syn2/synth-pose.yaml" date=2026-01-03 \
    save_dir="$T/job3" >"$T/out3" 2>&1
check "equal metrics exit 0" [ $? -eq 0 ]
check "previous found by date" grep -q "previous report: $R/2026-01-02/nightly.json" "$R/2026-01-03/nightly.md"
check "2 pairs compared" grep -q "(2 pairs compared)" "$R/2026-01-03/nightly.md"

# a missing dataset and a missing checkpoint: the other pair still runs, the failures are listed, exit 1
run models="$W1,$T/missing.h5" data="$T/syn1/synth-pose.yaml,$T/missing.yaml" date=2026-01-04 \
    save_dir="$T/job6" >"$T/out6" 2>&1
check "failed evaluations exit 1" [ $? -eq 1 ]
check "3 failures counted" grep -q "3 evaluation(s) failed" "$T/out6"
check "missing dataset named" grep -q "$T/missing.yaml" "$R/2026-01-04/nightly.md"
check "missing checkpoint named" grep -q "$T/missing.h5 on $T/syn1/synth-pose.yaml: .*missing.h5" "$R/2026-01-04/nightly.md"
check "the good pair still evaluated" delta_is "$R/2026-01-04/nightly.md" "^\\| $W1 \\| $T/syn1/synth-pose.yaml \\| 2 \\| [0-9.]+ \\(" 0

run models="$W1" data="$T/syn1/synth-pose.yaml" threshold=abc save_dir="$T/job4" >"$T/out4" 2>&1
check "bad threshold exits 1" [ $? -eq 1 ]
check "bad threshold named" grep -q "threshold=abc" "$T/out4"
run models="$W1" data="$T/syn1/synth-pose.yaml" treshold=0.02 save_dir="$T/job7" >"$T/out7" 2>&1
check "misspelt threshold refused" grep -qF "'treshold' is not an argument; did you mean 'threshold'?" "$T/out7"
run data="$T/syn1/synth-pose.yaml" save_dir="$T/job5" >"$T/out5" 2>&1
check "missing models= explained" grep -q "give models=" "$T/out5"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
