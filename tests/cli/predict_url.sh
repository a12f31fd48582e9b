#!/bin/bash
# tests/cli/predict_url.sh — `cpose predict source=http://...` against a real python3 http.server
# on 127.0.0.1 (free port), killed at the end.
set -u
FIX="${CPOSE_SOURCE_DIR}/../shared/fixtures"
[ -n "${CPOSE_FIXTURES:-}" ] && FIX="$CPOSE_FIXTURES"
if [ ! -d "$FIX/coco8-pose" ]; then echo "SKIP: fixtures not found"; exit 77; fi
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
W="$FIX/ultralytics/yolov8n-pose-seed0-bncal.h5"
T=$(mktemp -d /tmp/cpose-cli-predurl-XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$FIX/coco8-pose/images/val" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
done
fail=0
check() { if eval "$1"; then :; else echo "FAIL: $1"; fail=1; fi; }
cd "$T"
"$CPOSE_BIN" predict model="$W" source="http://127.0.0.1:$PORT/000000000113.jpg" conf=0.001 threads=2 >out.txt 2>&1
rc=$?
cat out.txt
check '[ $rc -eq 0 ]'
check 'grep -q "^image 1/1 .*000000000113.jpg: 640x416 " out.txt'
check 'file runs/pose/predict/000000000113.jpg | grep -q "416x640"'
check 'python3 -c "import json; assert len(json.load(open(\"runs/pose/predict/predictions.json\"))) > 0"'
"$CPOSE_BIN" predict model="$W" source="http://127.0.0.1:$PORT/missing.jpg" >out2.txt 2>&1
check '[ $? -ne 0 ] && grep -q "missing.jpg" out2.txt && grep -q 404 out2.txt'
exit $fail
