#!/usr/bin/env bash
# tests/cli/export.sh — `cpose export` from the command line and model:export{} from Lua: format=?
# lists the plugins with their files and arguments; output names as Ultralytics (beside the weights,
# in the run folder for a YAML); an unknown format, an argument the format does not take and an
# unwritable output folder are refused by name, leaving nothing half-written. Uses generated weights.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/cpose-test-export-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
. "$here/../helpers/check.sh"
has() { [[ "$1" == *"$2"* ]] || { echo "  got: $1" >&2; echo "  wanted: $2" >&2; return 1; }; }

out=$("$CPOSE" export format=? 2>&1)
check "format=? exits 0" [ $? -eq 0 ]
check "format=? lists onnx with its file" has "$out" "onnx         .onnx"
check "format=? names the plugin file" has "$out" "cpose-export-onnx.so"
check "format=? lists the arguments" has "$out" "opset      int   default None"
check "format=? lists the template" has "$out" "dump "

# weights (a generated model saved as .h5): the export lands beside them, named after them
mkdir w
cat > save.lua <<'LUA'
local cpose = require "cpose"
local m = cpose.YOLO("yolov8n-pose.yaml")
local p = m:export{format = "onnx", imgsz = 320}
assert(p:match("runs/pose/export/yolov8n%-pose%.onnx$"), "export path " .. tostring(p))
local f = assert(io.open(p, "rb")); local head = f:read(2); f:close()
assert(#head == 2, "empty file")
print("lua export: " .. p)
LUA
out=$("$CPOSE" run save.lua 2>&1)
check "model:export{} returns the path in the run folder" [ $? -eq 0 ]
check "lua export printed" has "$out" "lua export: "

out=$("$CPOSE" export model=yolov8n-pose.yaml format=dump project=p name=e 2>&1)
check "YAML model exports into project/name" [ -f p/e/yolov8n-pose.dump.txt ]
check "the path is printed" has "$out" "p/e/yolov8n-pose.dump.txt"

out=$("$CPOSE" export model=yolov8n-pose.yaml format=nope 2>&1); rc=$?
check "unknown format fails" [ $rc -ne 0 ]
check "unknown format is named" has "$out" "unknown export format 'nope' (found: "
check "unknown format lists onnx" has "$out" "onnx"

out=$("$CPOSE" export model=yolov8n-pose.yaml format=onnx int8=True project=p name=i 2>&1); rc=$?
check "an argument onnx does not take fails" [ $rc -ne 0 ]
check "the argument is named with the valid ones" has "$out" "format=onnx does not take argument 'int8' (it takes: imgsz, batch, half, dynamic,"
check "nothing written for a refused argument" [ ! -e p/i/yolov8n-pose.onnx ]

out=$("$CPOSE" export model=yolov8n-pose.yaml format=onnx opset=9 project=p name=o 2>&1); rc=$?
check "opset outside 12-17 fails" [ $rc -ne 0 ]
check "opset message" has "$out" "opset=9: this exporter writes opsets 12 to 17"
check "nothing half-written after a plugin error" [ -z "$(ls -A p/o 2>/dev/null)" ]

out=$("$CPOSE" export model=yolov8n-pose.yaml format=onnx project=/proc/cpose-nowhere 2>&1); rc=$?
check "unwritable project folder fails" [ $rc -ne 0 ]
check "the folder is named" has "$out" "/proc/cpose-nowhere"

# beside weights (the bncal fixture when present): <dir>/<stem><suffix>; when that name is taken by
# a folder the rename fails and no temporary file is left
fix=${CPOSE_SOURCE_DIR:-.}/../shared/fixtures/ultralytics/yolov8n-pose-seed0-bncal.h5
if [ -r "$fix" ]; then
    cp "$fix" w/net.h5
    out=$("$CPOSE" export model=w/net.h5 format=dump 2>&1)
    check "weights export lands beside them" [ -f w/net.dump.txt ]
    mkdir -p w/net.onnx/keep
    out=$("$CPOSE" export model=w/net.h5 format=onnx 2>&1); rc=$?
    check "an output path that cannot be written fails" [ $rc -ne 0 ]
    check "the failure names the path" has "$out" "w/net.onnx"
    check "no temporary file is left beside the weights" [ -z "$(ls w | grep -F .tmp.)" ]
    check "the existing folder is untouched" [ -d w/net.onnx/keep ]
else
    echo "note: fixtures absent; the beside-the-weights cases are covered by test_plugin_loader"
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
