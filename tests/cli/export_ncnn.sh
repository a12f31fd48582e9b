#!/bin/bash
# tests/cli/export_ncnn.sh — format=ncnn from the command line, and the exported folder used as a
# model: `cpose export model=yolov8n-pose.yaml format=ncnn` writes yolov8n-pose_ncnn_model/ (param,
# bin, metadata.yaml); `cpose info` and `cpose predict model=<folder>/` read it back (imgsz from its
# metadata); a folder with a damaged param is refused with the file and line named. Generated data only.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
tmp=$(mktemp -d /tmp/cpose-test-export-ncnn-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

out=$("$CPOSE" export format=? 2>&1)
echo "$out" | grep -q "ncnn .*_ncnn_model" && ok "format=? lists ncnn" || bad "format=?: $out"

"$CPOSE" export model=yolov8n-pose.yaml format=ncnn imgsz=320 project=p name=e >e.log 2>&1 && ok "export exit" || bad "export: $(cat e.log)"
M=p/e/yolov8n-pose_ncnn_model
for f in model.ncnn.param model.ncnn.bin metadata.yaml; do
    [ -s "$M/$f" ] && ok "$f written" || bad "$f missing: $(ls -R p)"
done
# the logged size is the folder's files summed (bin ≈ 13 MB at fp32), not 0.0 for a folder
grep -Eq "saved as '.*_ncnn_model' \((1[0-9]|[2-9][0-9])\.[0-9] MB\)" e.log && ok "logged folder size" || bad "size line: $(grep 'saved as' e.log)"
grep -q "^imgsz: \[320, 320\]$" "$M/metadata.yaml" && ok "metadata imgsz" || bad "metadata: $(cat "$M/metadata.yaml")"

out=$("$CPOSE" info model="$M/" 2>&1)
echo "$out" | grep -q "YOLOv8n-pose summary: .* parameters, 0 gradients, 9.2 GFLOPs" && ok "info reads the folder (fused, as an ONNX import)" \
    || bad "info: $out"

"$CPOSE" synth save_dir=syn n_train=1 n_val=2 imgsz=128 seed=3 >s.log 2>&1 || bad "synth: $(cat s.log)"
"$CPOSE" predict model="$M/" source=syn/images/val project=runs name=p save=False save_txt=True conf=0.0001 >p.log 2>&1 \
    && ok "predict model=<ncnn folder>/" || bad "predict: $(cat p.log)"
grep -q "at shape (1, 3, 320, " p.log && ok "predict imgsz 320 from metadata.yaml" || bad "predict shape: $(cat p.log)"

cp -r "$M" broken_ncnn_model
sed -i '3s/^Input /Inputx /' broken_ncnn_model/model.ncnn.param
out=$("$CPOSE" predict model=broken_ncnn_model source=syn/images/val project=runs name=bad 2>&1) && bad "damaged param accepted"
echo "$out" | grep -q "broken_ncnn_model/model.ncnn.param:3: layer 'in0' (Inputx): unknown layer type" \
    && ok "damaged param refused with file and line" || bad "damaged message: $out"
[ ! -e runs/bad ] && ok "no run folder on error" || bad "run folder left"
exit $fail
