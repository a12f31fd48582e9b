#!/usr/bin/env bash
# tests/cli/pt_pretrained.sh — pretrained names and `cpose convert-weights` on .pt files. Stand-in
# checkpoints come from torch.save (tests/helpers/pt_make.py, from cpose's own fresh weights, with a
# distinct imgsz in train_args so the test can tell which file was loaded); a python3 http.server on
# 127.0.0.1 plays the Ultralytics release (CPOSE_WEIGHTS_URL). Checked: model=yolov8n-pose.pt is
# downloaded into CPOSE_WEIGHTS_DIR, then found there with no server, a file of that name in the
# working folder wins over both (also for Lua's cpose.YOLO and train's pretrained=), a name the server lacks fails naming the URL and leaves no file,
# and convert-weights writes an .h5 that loads to the same weights, refusing to replace a file.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN is not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR is not set}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: python3 is needed"; exit 77; }

T=$(mktemp -d /tmp/cpose-ptpre-XXXXXX)
SRV_PID=""
cleanup() {
  [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() { if eval "$1"; then ok; else bad "$2"; fi; }

mkdir -p "$T/www/v8.1.0" "$T/wdir" "$T/here" "$T/empty"
"$CPOSE" convert-weights model=yolov8n-pose.yaml out="$T/src.h5" >"$T/o0" 2>&1 || { cat "$T/o0"; bad "fresh weights"; }
"$PY" "$SRC/tests/helpers/pt_make.py" ckpt "$T/src.h5" "$T/www/v8.1.0/yolov8n-pose.pt" "$T/exp320.h5" --half --imgsz 320 \
  --next "$T/here/yolov8n-pose.pt" "$T/exp416.h5" --imgsz 416
rc=$?
[ $rc = 77 ] && { echo "SKIP: python3-torch/h5py/yaml are needed to write the stand-in checkpoints"; exit 77; }
[ $rc = 0 ] || bad "stand-in checkpoint"

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEAD=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$T/www" && exec "$PY" -m http.server "$PORT" --bind 127.0.0.1 >"$T/server.log" 2>&1) &
SRV_PID=$!
for i in $(seq 1 50); do
  "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2).close()" 2>/dev/null && break
  sleep 0.1
done
export CPOSE_DOWNLOAD_BACKOFF=0.05

# 1. not here, not in the weights folder: downloaded from the (stand-in) release into the weights folder
(cd "$T/empty" && CPOSE_WEIGHTS_DIR="$T/wdir" CPOSE_WEIGHTS_URL="http://127.0.0.1:$PORT/v8.1.0" \
  "$CPOSE" convert-weights model=yolov8n-pose.pt out="$T/a.h5") >"$T/o1" 2>&1
rc=$?
expect '[ $rc = 0 ] && grep -q "imgsz 320" "$T/o1"' "download: $(cat "$T/o1")"
expect 'cmp -s "$T/wdir/yolov8n-pose.pt" "$T/www/v8.1.0/yolov8n-pose.pt"' "the download is the served file"
expect 'grep -q "GET /v8.1.0/yolov8n-pose.pt" "$T/server.log"' "the server saw the request"
expect '[ ! -e "$T/empty/yolov8n-pose.pt" ]' "nothing written to the working folder"

# 2. in the weights folder: no server needed (the URL points at a closed port)
(cd "$T/empty" && CPOSE_WEIGHTS_DIR="$T/wdir" CPOSE_WEIGHTS_URL="http://127.0.0.1:$DEAD/v8.1.0" \
  "$CPOSE" convert-weights model=yolov8n-pose.pt out="$T/b.h5") >"$T/o2" 2>&1
rc=$?
expect '[ $rc = 0 ] && grep -q "imgsz 320" "$T/o2"' "weights-folder hit: $(cat "$T/o2")"

# 3. a file of that name in the working folder comes first
(cd "$T/here" && CPOSE_WEIGHTS_DIR="$T/wdir" CPOSE_WEIGHTS_URL="http://127.0.0.1:$DEAD/v8.1.0" \
  "$CPOSE" convert-weights model=yolov8n-pose.pt out="$T/c.h5") >"$T/o3" 2>&1
rc=$?
expect '[ $rc = 0 ] && grep -q "imgsz 416" "$T/o3"' "local hit: $(cat "$T/o3")"

# the same from a Lua job: cpose.YOLO("yolov8n-pose.pt")
cat >"$T/job.lua" <<'EOF'
local cpose = require "cpose"
local m = cpose.YOLO("yolov8n-pose.pt")
local i = m:info{}
assert(i.params > 3000000, "params " .. tostring(i.params))
print("lua-ok " .. i.params)
EOF
(cd "$T/empty" && CPOSE_WEIGHTS_DIR="$T/wdir" CPOSE_WEIGHTS_URL="http://127.0.0.1:$DEAD/v8.1.0" \
  "$CPOSE" run "$T/job.lua" save_dir="$T/lua_run") >"$T/o3l" 2>&1
rc=$?
expect '[ $rc = 0 ] && grep -q "lua-ok" "$T/o3l"' "Lua cpose.YOLO: $(cat "$T/o3l")"

# training from it: pretrained=yolov8n-pose.pt resolves the same way and transfers every tensor
"$CPOSE" synth save_dir="$T/synth" n_train=4 n_val=2 imgsz=64 seed=0 >"$T/o3s" 2>&1 || bad "synth: $(cat "$T/o3s")"
(cd "$T/empty" && CPOSE_WEIGHTS_DIR="$T/wdir" CPOSE_WEIGHTS_URL="http://127.0.0.1:$DEAD/v8.1.0" \
  "$CPOSE" train model=yolov8n-pose.yaml pretrained=yolov8n-pose.pt data="$T/synth/synth-pose.yaml" epochs=1 \
  imgsz=64 batch=2 workers=1 val=False plots=False project="$T/runs" name=t) >"$T/o3t" 2>&1
rc=$?
expect '[ $rc = 0 ] && grep -q "Transferred 397/397 items from pretrained weights yolov8n-pose.pt" "$T/o3t"' \
  "train pretrained=: $(tail -5 "$T/o3t")"

# 4. a pretrained name the server does not have: the URL in the message, no file left behind
(cd "$T/empty" && CPOSE_WEIGHTS_DIR="$T/wdir" CPOSE_WEIGHTS_URL="http://127.0.0.1:$PORT/v8.1.0" \
  "$CPOSE" info model=yolov8s-pose-p6.pt) >"$T/o4" 2>&1
rc=$?
expect '[ $rc != 0 ] && grep -q "127.0.0.1:$PORT/v8.1.0/yolov8s-pose-p6.pt" "$T/o4"' "missing asset: $(cat "$T/o4")"
expect '[ -z "$(ls "$T/wdir" | grep -v "^yolov8n-pose.pt$")" ]' "no partial file: $(ls "$T/wdir")"
# the server answers 200 with something that is not a checkpoint: refused, removed, fetched again next time
head -c 4000 /dev/urandom >"$T/www/v8.1.0/yolov8m-pose.pt"
(cd "$T/empty" && CPOSE_WEIGHTS_DIR="$T/wdir" CPOSE_WEIGHTS_URL="http://127.0.0.1:$PORT/v8.1.0" \
  "$CPOSE" info model=yolov8m-pose.pt) >"$T/o4b" 2>&1
rc=$?
expect '[ $rc != 0 ] && grep -q "not a torch.save checkpoint; removed it" "$T/o4b"' "garbage download: $(cat "$T/o4b")"
expect '[ ! -e "$T/wdir/yolov8m-pose.pt" ]' "garbage download removed"
# a .pt that is not a pretrained name and not a file: named, nothing fetched
(cd "$T/empty" && "$CPOSE" info model=mine.pt) >"$T/o5" 2>&1
rc=$?
expect '[ $rc != 0 ] && grep -q "mine.pt" "$T/o5"' "missing file: $(cat "$T/o5")"

# 5. convert-weights: the .h5 holds what torch read back; an existing out= is kept unless exist_ok
"$CPOSE" convert-weights model="$T/here/yolov8n-pose.pt" out="$T/c.h5" >"$T/o6" 2>&1
rc=$?
expect '[ $rc != 0 ] && grep -q "exist_ok=True" "$T/o6"' "existing out= refused: $(cat "$T/o6")"
"$CPOSE" convert-weights model="$T/here/yolov8n-pose.pt" out="$T/c.h5" exist_ok=True >"$T/o7" 2>&1
rc=$?
expect '[ $rc = 0 ]' "exist_ok=True replaces: $(cat "$T/o7")"
"$PY" - "$T/c.h5" "$T/exp416.h5" >"$T/o8" 2>&1 <<'EOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
keys = list(b.keys())
assert len(keys) > 300, len(keys)
for k in keys:
    x, y = np.asarray(a["model"][k], dtype=np.float64), np.asarray(b[k], dtype=np.float64)
    assert x.shape == y.shape and np.array_equal(x, y), k
assert a.attrs["train_args"].decode().find("imgsz: 416") >= 0 if isinstance(a.attrs["train_args"], bytes) else "imgsz: 416" in a.attrs["train_args"]
print("ok", len(keys))
EOF
rc=$?
expect '[ $rc = 0 ]' "converted .h5 equals torch's read-back: $(cat "$T/o8")"
"$CPOSE" convert-weights model="$T/here/yolov8n-pose.pt" out="$T/c.txt" >"$T/o9" 2>&1
rc=$?
expect '[ $rc != 0 ] && grep -q "ending in .h5" "$T/o9"' "out= must be .h5: $(cat "$T/o9")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
