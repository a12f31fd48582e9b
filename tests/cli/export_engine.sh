#!/bin/bash
# tests/cli/export_engine.sh — format=engine (exporters/tensorrt/). No TensorRT installs here, so:
# (1) the missing-TensorRT path: with trtexec nowhere and no test seam, the export fails naming
#     trtexec, the PATH searched and the TensorRT libraries probed, and leaves no file behind;
# (2) the container: CPOSE_TRT_FAKE_TRTEXEC (a test seam) points at a stand-in script that records
#     its arguments and writes known bytes at --saveEngine=; python3 then reads the .engine on its
#     own: int32 LE length, JSON metadata with Ultralytics' keys, engine bytes equal to the stand-in's;
#     the flags half/int8/workspace/dynamic reach trtexec, and a failing trtexec leaves nothing.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
tmp=$(mktemp -d /tmp/cpose-test-export-engine-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
command -v trtexec >/dev/null && { echo "trtexec is installed here: the missing-TensorRT case cannot run"; exit 77; }

# (1) missing TensorRT
out=$(env -u CPOSE_TRT_FAKE_TRTEXEC PATH=/usr/bin:/bin "$CPOSE" export model=yolov8n-pose.yaml format=engine imgsz=64 \
      project=p name=e1 2>&1) && bad "export without TensorRT succeeded"
echo "$out" | grep -q "TensorRT not found: looked for trtexec on PATH (/usr/bin:/bin) and in /usr/src/tensorrt/bin" \
    && ok "message names trtexec and the folders" || bad "message: $out"
echo "$out" | grep -q "libnvinfer.so.10 not found, libnvinfer.so.8 not found, libnvonnxparser.so.10 not found" \
    && ok "message names the libraries probed" || bad "libraries: $out"
[ -z "$(find p/e1 -type f 2>/dev/null)" ] && ok "nothing written" || bad "files left: $(find p/e1 -type f)"

# (2) the container, with a stand-in trtexec
cat >fake_trtexec <<'SH'
#!/bin/sh
# stand-in for trtexec (test seam): records its arguments, checks the ONNX exists, writes 1000 known bytes
echo "$@" >"$FAKE_ARGS"
for a in "$@"; do case $a in --onnx=*) test -s "${a#--onnx=}" || exit 3;; --saveEngine=*) out=${a#--saveEngine=};; esac; done
[ -n "${FAKE_FAIL:-}" ] && { echo "[E] fake builder failure"; exit 1; }
python3 -c "import sys; open(sys.argv[1],'wb').write(bytes((i*7+3)%256 for i in range(1000)))" "$out"
SH
chmod +x fake_trtexec
export CPOSE_TRT_FAKE_TRTEXEC=$PWD/fake_trtexec FAKE_ARGS=$PWD/args.txt
"$CPOSE" export model=yolov8n-pose.yaml format=engine imgsz=96,64 half=True workspace=2 project=p name=e2 >e2.log 2>&1 \
    && ok "export with the stand-in" || bad "export: $(cat e2.log)"
E=p/e2/yolov8n-pose.engine
python3 - "$E" <<'PY' && ok "container read independently" || bad "container"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<i", b[:4])[0]
meta = json.loads(b[4:4 + n].decode())
need = ["description", "author", "date", "version", "license", "docs", "stride", "task", "batch", "imgsz", "names", "args", "kpt_shape"]
missing = [k for k in need if k not in meta]
assert not missing, missing
assert meta["task"] == "pose" and meta["imgsz"] == [96, 64] and meta["names"] == {"0": "person"}, meta
assert meta["kpt_shape"] == [17, 3] and meta["stride"] == 32 and meta["batch"] == 1, meta
assert meta["args"]["half"] is True and meta["args"]["workspace"] == 2, meta["args"]
eng = b[4 + n:]
assert eng == bytes((i * 7 + 3) % 256 for i in range(1000)), (len(eng), eng[:8])
PY
grep -q -- "--fp16" args.txt && grep -q -- "--memPoolSize=workspace:2048M" args.txt && ! grep -q -- "--int8\|Shapes" args.txt \
    && ok "half, workspace reach trtexec" || bad "args: $(cat args.txt)"

"$CPOSE" export model=yolov8n-pose.yaml format=engine imgsz=64 batch=2 int8=True dynamic=True project=p name=e3 >e3.log 2>&1 \
    && ok "int8 dynamic export" || bad "export e3: $(cat e3.log)"
grep -q -- "--int8 .*--minShapes=images:1x3x32x32 --optShapes=images:2x3x64x64 --maxShapes=images:4x3x128x128" args.txt \
    && ok "int8 and the dynamic profile reach trtexec" || bad "args: $(cat args.txt)"
grep -q "int8=True without calib=" e3.log && ok "int8 without calibration warned" || bad "no int8 warning: $(cat e3.log)"

out=$(FAKE_FAIL=1 "$CPOSE" export model=yolov8n-pose.yaml format=engine imgsz=64 project=p name=e4 2>&1) && bad "failing trtexec accepted"
echo "$out" | grep -q "fake_trtexec failed (exit status 1); its output ends with:" && echo "$out" | grep -q "fake builder failure" \
    && ok "trtexec failure reported with its output" || bad "failure message: $out"
[ -z "$(find p/e4 -type f 2>/dev/null)" ] && ok "nothing written on failure" || bad "files left: $(find p/e4 -type f)"

out=$("$CPOSE" export model=yolov8n-pose.yaml format=engine opset=12 project=p name=e5 2>&1) && bad "opset accepted"
echo "$out" | grep -q "format=engine does not take argument 'opset'" && ok "unknown argument refused" || bad "opset: $out"
exit $fail
