#!/usr/bin/env bash
# tests/cli/job_experiment.sh — scripts/experiment.lua on a tiny synthetic set (generated here): train →
# val → predict → ONNX export, twice with the same seed and thread count; every metric in the two
# run.json files is identical (and there are the trainer's, val's and predict's), the result's per-epoch
# history too; the outputs are where the job says; bad arguments are refused by name.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR not set}
T=$(mktemp -d /tmp/cpose-test-job-experiment-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
cd "$T" || exit 1
. "$(dirname "$0")/../helpers/check.sh"

"$CPOSE" synth save_dir="$T/syn" n_train=8 n_val=4 imgsz=64 seed=0 >"$T/synth.out" 2>&1
check "synth exits 0" [ $? -eq 0 ]
for run in a b; do
    "$CPOSE" run "$SRC/scripts/experiment.lua" data="$T/syn/synth-pose.yaml" epochs=2 imgsz=64 batch=4 workers=2 \
        seed=3 threads=2 save_dir="$T/$run" >"$T/$run.out" 2>&1
    check "experiment $run exits 0 ($(tail -3 "$T/$run.out"))" [ $? -eq 0 ]
done
for step in "[1/4] train: 2 epochs (finished)" "[2/4] val: Box mAP50" "[3/4] predict: 4 images" \
            "[4/4] export: $T/a/export/best.onnx" "record $T/a/run.json"; do
    check "printed: $step" grep -qF "$step" "$T/a.out"
done
for f in train/results.csv train/args.yaml train/weights/best.h5 train/weights/last.h5 val/val_metrics.json \
         export/best.onnx run.json; do
    check "wrote $f" [ -s "$T/a/$f" ]
done
python3 - "$T/a/run.json" "$T/b/run.json" "$T/syn" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
syn = sys.argv[3]
for r in (a, b):
    assert r["status"] == "ok", r.get("error")
ma, mb = a["metrics"], b["metrics"]
want = ["train/box_loss", "train/pose_loss", "train/kobj_loss", "train/cls_loss", "train/dfl_loss", "lr/pg0",
        "metrics/mAP50(B)", "metrics/mAP50-95(P)", "val/mAP50(B)", "val/mAP50-95(P)", "val/fitness",
        "predict/images", "predict/people", "predict/mean_score", "best_fitness", "epochs"]
missing = [k for k in want if k not in ma]
assert not missing, "metrics missing from run.json: %s" % missing
assert ma["epochs"] == 2 and ma["predict/images"] == 4, ma
assert all(ma["train/%s_loss" % k] > 0 for k in ("box", "pose", "kobj", "cls", "dfl")), ma
diff = {k: (ma.get(k), mb.get(k)) for k in set(ma) | set(mb) if ma.get(k) != mb.get(k)}
assert not diff, "metrics differ between the two runs: %s" % diff
ha, hb = a["result"]["train"]["history"], b["result"]["train"]["history"]
assert len(ha) == 2 and ha == hb, "per-epoch history differs: %s vs %s" % (ha, hb)
assert a["seed"] == 3 and a["threads"] == 2, (a["seed"], a["threads"])
ins = {i["path"] for i in a["inputs"]}
assert syn + "/synth-pose.yaml" in ins, "the dataset YAML is an input"
assert sum(p.startswith(syn + "/images/train/") for p in ins) == 8, "the 8 train images are inputs"
assert sum(p.startswith(syn + "/labels/val/") for p in ins) == 4, "the 4 val labels are inputs"
outs = {o["path"]: o["sha256"] for o in a["outputs"]}
for f in ("train/results.csv", "train/weights/best.h5", "export/best.onnx"):
    p = a["result"]["train"]["save_dir"].rsplit("/", 1)[0] + "/" + f
    assert outs.get(p), "output %s listed with its sha256" % p
PY
check "the two runs' metrics and histories are identical; inputs and outputs recorded" [ $? -eq 0 ]

"$CPOSE" run "$SRC/scripts/experiment.lua" epochs=1 save_dir="$T/bad1" >"$T/bad1.out" 2>&1
check "no data= exits 1" [ $? -eq 1 ]
check "no data= named" grep -qF "experiment.lua: data= is required" "$T/bad1.out"
"$CPOSE" run "$SRC/scripts/experiment.lua" data="$T/syn/synth-pose.yaml" epoch=1 save_dir="$T/bad2" >"$T/bad2.out" 2>&1
check "misspelt train key exits 1" [ $? -eq 1 ]
check "misspelt train key: nearest named" grep -qF "'epoch' is not a valid argument; did you mean 'epochs'" "$T/bad2.out"
"$CPOSE" run "$SRC/scripts/experiment.lua" data="$T/syn/synth-pose.yaml" export=tflite save_dir="$T/bad3" >"$T/bad3.out" 2>&1
check "export=tflite refused" grep -qF "export=tflite: use export=onnx or export=none" "$T/bad3.out"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
