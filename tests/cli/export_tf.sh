#!/bin/bash
# tests/cli/export_tf.sh — format=pb, saved_model and tfjs from the command line: `cpose export format=?`
# lists them with Ultralytics' suffixes; each writes its file or folder (<stem>.pb; <stem>_saved_model/
# with saved_model.pb, the float32/float16 .tflite and metadata.yaml; <stem>_web_model/ with
# model.json, group1-shard1of1.bin and metadata.yaml); a project path through a regular file fails with
# the path named and leaves nothing. Generated model only (numbers: tests/test_export_tf.c).
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
tmp=$(mktemp -d /tmp/cpose-test-export-tf-cli-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

out=$("$CPOSE" export format=? 2>&1)
for f in "pb .*\.pb" "saved_model .*_saved_model" "tfjs .*_web_model"; do
    echo "$out" | grep -q "$f" && ok "format=? lists $f" || bad "format=? without $f: $out"
done

"$CPOSE" export model=yolov8n-pose.yaml format=pb imgsz=64 project=p name=pb >pb.log 2>&1 && ok "pb exit" || bad "pb: $(cat pb.log)"
[ -s p/pb/yolov8n-pose.pb ] && ok "yolov8n-pose.pb written" || bad "no .pb: $(ls -R p)"
grep -q "input x:0, output Identity:0" pb.log && ok "pb log names x:0 and Identity:0" || bad "pb log: $(cat pb.log)"

"$CPOSE" export model=yolov8n-pose.yaml format=saved_model imgsz=64 project=p name=sm >sm.log 2>&1 && ok "saved_model exit" \
    || bad "saved_model: $(cat sm.log)"
S=p/sm/yolov8n-pose_saved_model
for f in saved_model.pb yolov8n-pose_float32.tflite yolov8n-pose_float16.tflite metadata.yaml; do
    [ -s "$S/$f" ] && ok "saved_model/$f written" || bad "saved_model/$f missing: $(ls -R p)"
done
grep -q "cannot call it" sm.log && ok "saved_model log says TF2 cannot call it" || bad "saved_model log: $(cat sm.log)"

"$CPOSE" export model=yolov8n-pose.yaml format=tfjs imgsz=64 half=True project=p name=js >js.log 2>&1 && ok "tfjs exit" \
    || bad "tfjs: $(cat js.log)"
J=p/js/yolov8n-pose_web_model
for f in model.json group1-shard1of2.bin group1-shard2of2.bin metadata.yaml; do
    [ -s "$J/$f" ] && ok "web_model/$f written" || bad "web_model/$f missing: $(ls -R p)"
done
grep -q '"format": "graph-model"' "$J/model.json" && ok "model.json graph-model" || bad "model.json: $(head -c 300 "$J/model.json")"
grep -q "^imgsz: \[64, 64\]$" "$J/metadata.yaml" && ok "metadata imgsz" || bad "metadata: $(cat "$J/metadata.yaml")"

touch not_a_dir
for fmt in pb saved_model tfjs; do
    out=$("$CPOSE" export model=yolov8n-pose.yaml format=$fmt imgsz=64 project=not_a_dir/sub 2>&1) && bad "$fmt: unwritable project accepted"
    echo "$out" | grep -q "not_a_dir" && ok "$fmt: unwritable folder named" || bad "$fmt message: $out"
done
[ -z "$(find . -path './not_a_dir*' -newer not_a_dir -print)" ] && [ -f not_a_dir ] && ok "nothing written through not_a_dir" \
    || bad "left: $(ls -la)"
exit $fail
