#!/bin/bash
# tests/cli/export_coreml.sh — format=coreml from the command line, and the package used as a model:
# `cpose export model=yolov8n-pose.yaml format=coreml` writes yolov8n-pose.mlpackage/ (Manifest.json,
# Data/com.apple.CoreML/model.mlmodel, weights/weight.bin); `cpose info` and `cpose predict
# model=<package>` read it back (imgsz from its userDefined metadata); an argument coreml does not
# take, nms=True and an unwritable project folder are refused leaving nothing; a package whose
# operation type is damaged is refused with the file and operation named. Generated data only.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
tmp=$(mktemp -d /tmp/cpose-test-export-coreml-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

out=$("$CPOSE" export format=? 2>&1)
echo "$out" | grep -q "coreml .*\.mlpackage" && ok "format=? lists coreml" || bad "format=?: $out"

"$CPOSE" export model=yolov8n-pose.yaml format=coreml imgsz=320 project=p name=e >e.log 2>&1 && ok "export exit" || bad "export: $(cat e.log)"
M=p/e/yolov8n-pose.mlpackage
for f in Manifest.json Data/com.apple.CoreML/model.mlmodel Data/com.apple.CoreML/weights/weight.bin; do
    [ -s "$M/$f" ] && ok "$f written" || bad "$f missing: $(ls -R p)"
done
grep -q '"rootModelIdentifier"' "$M/Manifest.json" && ok "manifest root" || bad "manifest: $(cat "$M/Manifest.json")"

out=$("$CPOSE" info model="$M" 2>&1)
echo "$out" | grep -q "YOLOv8n-pose summary: .* parameters, 0 gradients, 9.2 GFLOPs" && ok "info reads the package (fused, as an ONNX import)" \
    || bad "info: $out"

"$CPOSE" synth save_dir=syn n_train=1 n_val=2 imgsz=128 seed=3 >s.log 2>&1 || bad "synth: $(cat s.log)"
"$CPOSE" predict model="$M/" source=syn/images/val project=runs name=p save=False save_txt=True conf=0.0001 >p.log 2>&1 \
    && ok "predict model=<package>/" || bad "predict: $(cat p.log)"
grep -q "at shape (1, 3, 320, " p.log && ok "predict imgsz 320 from the userDefined metadata" || bad "predict shape: $(cat p.log)"

out=$("$CPOSE" export model=yolov8n-pose.yaml format=coreml opset=12 project=p name=a 2>&1) && bad "unknown argument accepted"
echo "$out" | grep -q "format=coreml does not take argument 'opset' (it takes: imgsz, batch, half, int8, nms" \
    && ok "unknown argument refused with the valid ones" || bad "unknown argument: $out"
[ ! -e p/a/yolov8n-pose.mlpackage ] && ok "nothing written for a refused argument" || bad "package left"

out=$("$CPOSE" export model=yolov8n-pose.yaml format=coreml nms=True project=p name=n 2>&1) && bad "nms=True accepted"
echo "$out" | grep -q "nms=True (the CoreML NMS pipeline) is not written yet" && ok "nms refused" || bad "nms: $out"
[ ! -e p/n/yolov8n-pose.mlpackage ] && ok "nothing half-written after nms" || bad "package left after nms"

out=$("$CPOSE" export model=yolov8n-pose.yaml format=coreml project=/proc/cpose-nowhere 2>&1) && bad "unwritable folder accepted"
echo "$out" | grep -q "/proc/cpose-nowhere" && ok "unwritable project folder refused by name" || bad "unwritable: $out"

cp -r "$M" broken.mlpackage
python3 - broken.mlpackage/Data/com.apple.CoreML/model.mlmodel <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
open(p, "wb").write(b.replace(b"\x0a\x04silu", b"\x0a\x04mish", 1))
PY
out=$("$CPOSE" predict model=broken.mlpackage source=syn/images/val project=runs name=bad 2>&1) && bad "damaged package accepted"
echo "$out" | grep -q "broken.mlpackage/Data/com.apple.CoreML/model.mlmodel: operation [0-9]* 'mish' (output 'model_0_act'): unknown operation type" \
    && ok "damaged package refused with file and operation" || bad "damaged message: $out"
[ ! -e runs/bad ] && ok "no run folder on error" || bad "run folder left"
exit $fail
