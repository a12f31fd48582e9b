#!/bin/bash
# tests/cli/export_paddle.sh — format=paddle from the command line, and the exported folder used as a
# model: `cpose export model=yolov8n-pose.yaml format=paddle` writes yolov8n-pose_paddle_model/
# (inference_model/model.pdmodel + model.pdiparams, metadata.yaml); `cpose info` and `cpose predict
# model=<folder>/` read it back (imgsz from its metadata); an argument paddle does not take and
# half=True are refused before anything is written; an unwritable project folder is refused by name;
# a write that fails half-way (the .pdiparams over a file-size limit, after model.pdmodel was written)
# leaves no export folder; a folder with a damaged program is refused with the file and op named.
# Generated data only.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
tmp=$(mktemp -d /tmp/cpose-test-export-paddle-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

out=$("$CPOSE" export format=? 2>&1)
echo "$out" | grep -q "paddle .*_paddle_model" && ok "format=? lists paddle" || bad "format=?: $out"

"$CPOSE" export model=yolov8n-pose.yaml format=paddle imgsz=320 project=p name=e >e.log 2>&1 && ok "export exit" || bad "export: $(cat e.log)"
M=p/e/yolov8n-pose_paddle_model
for f in inference_model/model.pdmodel inference_model/model.pdiparams metadata.yaml; do
    [ -s "$M/$f" ] && ok "$f written" || bad "$f missing: $(ls -R p)"
done
grep -q "^imgsz: \[320, 320\]$" "$M/metadata.yaml" && ok "metadata imgsz" || bad "metadata: $(cat "$M/metadata.yaml")"

out=$("$CPOSE" info model="$M/" 2>&1)
echo "$out" | grep -q "YOLOv8n-pose summary: .* parameters, 0 gradients, 9.2 GFLOPs" && ok "info reads the folder (fused, as an ONNX import)" \
    || bad "info: $out"

"$CPOSE" synth save_dir=syn n_train=1 n_val=2 imgsz=128 seed=3 >s.log 2>&1 || bad "synth: $(cat s.log)"
"$CPOSE" predict model="$M/" source=syn/images/val project=runs name=p save=False save_txt=True conf=0.0001 >p.log 2>&1 \
    && ok "predict model=<paddle folder>/" || bad "predict: $(cat p.log)"
grep -q "at shape (1, 3, 320, " p.log && ok "predict imgsz 320 from metadata.yaml" || bad "predict shape: $(cat p.log)"
n=$(cat runs/p/labels/*.txt 2>/dev/null | wc -l)
[ "$n" -gt 0 ] && ok "predict wrote $n label lines" || bad "no labels: $(ls -R runs)"

# refused arguments: nothing written
out=$("$CPOSE" export model=yolov8n-pose.yaml format=paddle opset=12 project=u name=e 2>&1) && bad "opset=12 accepted"
echo "$out" | grep -q "does not take argument 'opset'" && ok "unknown argument refused" || bad "opset message: $out"
out=$("$CPOSE" export model=yolov8n-pose.yaml format=paddle half=True project=u name=h 2>&1) && bad "half=True accepted"
echo "$out" | grep -q "half=True: Ultralytics' PaddlePaddle export is fp32 only" && ok "half=True refused" || bad "half message: $out"
[ -z "$(find u -type f 2>/dev/null)" ] && ok "refused exports wrote nothing" || bad "files left: $(find u -type f)"

# an unwritable project folder: refused by name
out=$("$CPOSE" export model=yolov8n-pose.yaml format=paddle imgsz=320 project=/proc/cpose-nowhere 2>&1) && bad "export into /proc succeeded"
echo "$out" | grep -q "/proc/cpose-nowhere" && ok "unwritable folder refused by name" || bad "unwritable message: $out"

# a write failing half-way: a 1 MB file-size limit lets model.pdmodel through and stops model.pdiparams
out=$( (trap '' XFSZ; ulimit -f 1024; "$CPOSE" export model=yolov8n-pose.yaml format=paddle imgsz=320 project=w name=e) 2>&1) \
    && bad "export under a 1 MB file limit succeeded"
echo "$out" | grep -q "w/e/yolov8n-pose_paddle_model/inference_model/model.pdiparams" && ok "the failed file is named" || bad "write message: $out"
[ ! -e w/e/yolov8n-pose_paddle_model ] && [ -z "$(find w -type f 2>/dev/null)" ] && ok "nothing half-written" \
    || bad "left behind: $(find w)"

# a damaged program: an op type no Paddle has (same length, so the protobuf stays well-formed)
cp -r "$M" broken_paddle_model
python3 - broken_paddle_model/inference_model/model.pdmodel <<'EOF'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
open(p, "wb").write(b.replace(b"\x1a\x04silu", b"\x1a\x04xilu", 1))
EOF
out=$("$CPOSE" predict model=broken_paddle_model source=syn/images/val project=runs name=bad 2>&1) && bad "damaged program accepted"
echo "$out" | grep -q "broken_paddle_model/inference_model/model.pdmodel: op [0-9]* (xilu → 'model.0.act'): unknown op type 'xilu'" \
    && ok "damaged program refused with file and op" || bad "damaged message: $out"
[ ! -e runs/bad ] && ok "no run folder on error" || bad "run folder left"
exit $fail
