#!/bin/bash
# tests/cli/benchmark_table.sh — `cpose benchmark model=W data=D imgsz=S [format=]`: Ultralytics'
# benchmark table over every built exporter plugin. Checks: the header columns; one row per plugin
# `cpose export format=?` lists (the registry, not a fixed list); onnx/ncnn/openvino ✅ with a
# mAP50-95(P) equal to an independent `cpose val model=<exported file>` on the same data (on the
# synth-trained fixture, whose mAP is not 0; with a fresh model when the fixture is absent, where
# only the equality of zeros is left); formats without a reader ❎ with a size; benchmarks.{md,json,csv}
# written; format= narrowing to one row; an unknown format= refused by name; without data= the
# latency benchmark as before. Generated dataset (cpose synth) at imgsz 128.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
tmp=$(mktemp -d /tmp/cpose-test-benchmark-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

"$CPOSE" synth save_dir=syn n_train=0 n_val=4 imgsz=128 seed=0 >s.log 2>&1 || { echo "FAIL: synth: $(cat s.log)"; exit 1; }
ST="${CPOSE_FIXTURES:-${CPOSE_SOURCE_DIR:-.}/../shared/fixtures}/ultralytics/synth-trained/synth-seed1-best.h5"
if [ -f "$ST" ]; then W=$ST; else W=yolov8n-pose.yaml; echo "note: $ST absent: a fresh model (mAP 0) instead"; fi
stem=$(basename "$W"); stem=${stem%.*}

"$CPOSE" benchmark model="$W" data=syn/synth-pose.yaml imgsz=128 project=b name=all >all.log 2>all.err \
    && ok "benchmark ran" || bad "benchmark: $(tail -5 all.err)"
grep -qF "| Format | Status❔ | Size (MB) | metrics/mAP50-95(P) | Inference time (ms/im) |" all.log && ok "table header" \
    || bad "header: $(cat all.log)"
for f in benchmarks.md benchmarks.json benchmarks.csv; do [ -s "b/all/$f" ] && ok "$f" || bad "$f missing"; done
formats=$("$CPOSE" export format=? 2>/dev/null | awk '/^  [^ ]/ {print $1}' | sort -u)
python3 - b/all/benchmarks.json "$formats" <<'PY' && ok "one row per plugin, statuses" || bad "rows"
import json, sys
rows = json.load(open(sys.argv[1]))
want = set(sys.argv[2].split())
got = {r["Format"] for r in rows} - {"cpose (source)"}
assert want == got, (sorted(want), sorted(got))
st = {r["Format"]: r for r in rows}
for f in ("onnx", "ncnn", "openvino"):
    assert st[f]["Status"] == "✅" and st[f]["metrics/mAP50-95(P)"] is not None and st[f]["Inference time (ms/im)"] > 0, st[f]
for f in ("pb", "tfjs"):
    if f in st: assert st[f]["Status"] == "❎" and st[f]["Size (MB)"] > 0 and st[f]["metrics/mAP50-95(P)"] is None, st[f]
assert st["cpose (source)"]["Status"] == "✅", st["cpose (source)"]
PY
echo "$formats" | grep -q '^onnx$' || bad "format=? parse: $formats"
# mAP equal to an independent cpose val of each exported model
for f in onnx:"$stem.onnx" ncnn:"${stem}_ncnn_model" openvino:"${stem}_openvino_model"; do
    fmt=${f%%:*} path=b/all/${f#*:}
    "$CPOSE" val model="$path" data=syn/synth-pose.yaml imgsz=128 batch=1 plots=False project=v name=$fmt >v.log 2>&1 \
        || { bad "val $fmt: $(tail -3 v.log)"; continue; }
    python3 - b/all/benchmarks.json v/$fmt/val_metrics.json $fmt <<'PY' && ok "$fmt mAP equals cpose val" || bad "$fmt mAP"
import json, sys
row = [r for r in json.load(open(sys.argv[1])) if r["Format"] == sys.argv[3]][0]
val = json.load(open(sys.argv[2]))["metrics/mAP50-95(P)"]
print(sys.argv[3], row["metrics/mAP50-95(P)"], val)
assert abs(row["metrics/mAP50-95(P)"] - val) < 1e-12, (row, val)
PY
done
[ "$W" = "$ST" ] && { python3 -c "import json,sys; r=[r for r in json.load(open('b/all/benchmarks.json')) if r['Format']=='onnx'][0]; sys.exit(r['metrics/mAP50-95(P)'] <= 0)" \
    && ok "trained model: mAP > 0" || bad "trained model mAP is 0"; }

"$CPOSE" benchmark model=yolov8n-pose.yaml data=syn/synth-pose.yaml imgsz=64 format=onnx project=b name=one >one.log 2>&1 \
    && ok "format=onnx" || bad "format=onnx: $(tail -3 one.log)"
[ "$(grep -c '^| [a-z]' one.log)" = 2 ] && grep -q '^| onnx | ✅ ' one.log && ok "format= narrows to one row (plus source)" || bad "rows: $(cat one.log)"

out=$("$CPOSE" benchmark model=yolov8n-pose.yaml data=syn/synth-pose.yaml imgsz=64 format=nope project=b name=bad 2>&1) && bad "format=nope accepted"
echo "$out" | grep -q "unknown export format 'nope' (found: .*onnx" && ok "unknown format refused by name" || bad "nope: $out"
[ ! -e b/bad ] && ok "no run folder for a refused format" || bad "run folder left"

out=$("$CPOSE" benchmark model=yolov8n-pose.yaml imgsz=64 runs=2 warmup=0 2>&1) && echo "$out" | grep -q "median .* ms" \
    && ok "without data=: the latency benchmark" || bad "latency: $out"
exit $fail
