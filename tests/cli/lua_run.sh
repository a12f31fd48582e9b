#!/usr/bin/env bash
# tests/cli/lua_run.sh — `cpose run` end to end: arg words, exit codes, the traceback on stderr,
# run.json contents checked against sha256sum, the job-folder rule, and a job failing halfway.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
tmp=$(mktemp -d /tmp/cpose-test-luarun-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
. "$(dirname "$0")/../helpers/check.sh"
# jq-free JSON look-ups on cJSON's pretty print: "key":<tab>value
field() { grep -E "^\s*\"$2\":" "$1" | head -1 | sed -E 's/^[^:]*:\s*//; s/,$//; s/^"//; s/"$//'; }

# --- arg words, ..., result and inputs ---
printf 'data for the job\n' > input.txt
cat > job.lua <<'LUA'
local cpose = require "cpose"
assert(arg[0] == "job.lua", "arg[0] " .. tostring(arg[0]))
assert(arg[1] == "alpha" and arg[2] == "conf=0.5" and arg[3] == "name=x=y", "words")
assert(arg.conf == "0.5" and arg.name == "x=y" and arg.alpha == nil, "keys")
local t = ...
assert(t == arg)
local f = assert(io.open("input.txt")); f:close()
cpose.job.input("input.txt")
cpose.job.metric("pose_map50", 0.875)
return {box = {map = 0.5}, pose = {maps = {0.25, 0.75}}, note = "done"}
LUA
"$CPOSE" run job.lua alpha conf=0.5 name=x=y seed=7 >out.txt 2>err.txt
check "successful job exits 0" [ $? -eq 0 ]
rec=runs/jobs/job/run.json
check "run.json in runs/jobs/<stem>" [ -f $rec ]
check "status ok" [ "$(field $rec status)" = ok ]
check "script sha256 = sha256sum" [ "$(grep -A2 '"script"' $rec | grep sha256 | sed -E 's/.*"([0-9a-f]{64})".*/\1/')" = "$(sha256sum job.lua | cut -d' ' -f1)" ]
check "input listed with its sha256" grep -q "$(sha256sum input.txt | cut -d' ' -f1)" $rec
check "input path listed" grep -q '"path":.*"input.txt"' $rec
check "seed recorded" [ "$(field $rec seed)" = 7 ]
check "threads recorded" grep -Eq '"threads":\s*[1-9]' $rec
check "argv recorded" grep -q '"argv":.*"alpha", "conf=0.5", "name=x=y", "seed=7"' $rec
check "metric recorded" grep -Eq '"pose_map50":\s*0.875' $rec
check "result stored" grep -Eq '"maps":\s*\[0.25, 0.75\]' $rec
check "version recorded" grep -Eq '"cpose_version":\s*"[0-9]+\.[0-9]+\.[0-9]+"' $rec
check "timings recorded" grep -Eq '"started":\s*"20[0-9-]+T[0-9:]+Z"' $rec

# --- the second run of the same script gets the next folder ---
"$CPOSE" run job.lua alpha conf=0.5 name=x=y >/dev/null 2>&1
check "second run → runs/jobs/job2" [ -f runs/jobs/job2/run.json ]

# --- a folder the job creates becomes the job folder ---
cat > od.lua <<'LUA'
local cpose = require "cpose"
cpose.job.output_dir("runs/pose/predict")
LUA
"$CPOSE" run od.lua >/dev/null 2>&1
check "first output folder holds run.json" [ -f runs/pose/predict/run.json ]

# --- cpose.job.output: the file is listed among the outputs with its sha256 (sha256sum's) ---
printf 'made by the job\n' > made.txt
cat > out.lua <<'LUA'
local cpose = require "cpose"
cpose.job.output("made.txt")
LUA
"$CPOSE" run out.lua save_dir=outjob >/dev/null 2>&1
check "job.output: job exits 0" [ $? -eq 0 ]
check "job.output: path and sha256 in run.json" python3 -c '
import json, sys
outs = json.load(open("outjob/run.json"))["outputs"]
sys.exit(0 if any(o["path"].endswith("made.txt") and o["sha256"] == sys.argv[1] for o in outs) else 1)' \
    "$(sha256sum made.txt | cut -d' ' -f1)"

# --- cpose.download{data = YAML}: the YAML's download: archive (served by a real HTTP server on
# 127.0.0.1; a YAML may not name file:// URLs) fetched, extracted beside the dataset root and deleted;
# a YAML without download: is refused by name ---
mkdir -p pack/toyset/images/val srv && printf 'val file\n' > pack/toyset/images/val/a.txt
tar -C pack -czf srv/toy.tar.gz toyset
mkdir -p ds
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
(cd srv && exec "$PY" -u -m http.server --bind 127.0.0.1 0 >../http.log 2>&1) &
http_pid=$!
port=""
for _ in $(seq 200); do
    port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' http.log | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
printf 'path: %s/ds/toyset\ntrain: images/val\nval: images/val\nnames: [thing]\ndownload: http://127.0.0.1:%s/toy.tar.gz\n' "$tmp" "$port" > ds/toy.yaml
printf 'path: %s/ds/toyset\ntrain: images/val\nval: images/val\nnames: [thing]\n' "$tmp" > ds/plain.yaml
cat > dl.lua <<'LUA'
local cpose = require "cpose"
local r = cpose.download{data = "ds/toy.yaml"}
assert(r.data == "ds/toy.yaml", "result.data " .. tostring(r.data))
local ok, err = pcall(cpose.download, {data = "ds/plain.yaml"})
assert(not ok and tostring(err):find("plain.yaml has no download: key", 1, true), tostring(err))
LUA
"$CPOSE" run dl.lua save_dir=dljob >dl.out 2>&1
check "download{data=}: job exits 0" [ $? -eq 0 ] || cat dl.out >&2
check "download{data=}: archive extracted" [ "$(cat ds/toyset/images/val/a.txt 2>/dev/null)" = "val file" ]
check "download{data=}: archive deleted" [ ! -e ds/toy.tar.gz ]
kill "$http_pid" 2>/dev/null; wait "$http_pid" 2>/dev/null

# --- failure: exit 1, traceback with the script line, status failed, no partial output ---
cat > bad.lua <<'LUA'
local cpose = require "cpose"
local out = cpose.job.open(cpose.job.dir() .. "/predictions.json")
out:write('[{"image_id": 1, ')
local function step()
  local model = cpose.YOLO("yolov8n-pose.yaml")
  return model:predict{confx = 0.5}
end
step()
out:write("]")
out:commit()
LUA
"$CPOSE" run bad.lua save_dir=failed >out.txt 2>err.txt
check "failing job exits 1" [ $? -eq 1 ]
check "stderr has the traceback" grep -q "stack traceback" err.txt
check "stderr names the failing line" grep -q "bad.lua:6:" err.txt
check "stderr names the caller's line" grep -q "bad.lua:8: in main chunk" err.txt
check "stderr has the C message with the nearest key" grep -q "did you mean 'conf'" err.txt
check "run.json written for the failed job" [ -f failed/run.json ]
check "status failed" [ "$(field failed/run.json status)" = failed ]
check "error recorded" grep -q '"error":.*bad.lua:6:.*confx' failed/run.json
check "no half-written output" [ ! -e failed/predictions.json ]
check "no temporaries left" [ -z "$(find . -name '*.tmp.*')" ]

# --- a syntax error and a missing script ---
echo 'local x = = 1' > syntax.lua
"$CPOSE" run syntax.lua save_dir=syn >/dev/null 2>err.txt
check "syntax error exits 1" [ $? -eq 1 ]
check "syntax error message" grep -q "syntax.lua:1:" err.txt
check "syntax error recorded" [ "$(field syn/run.json status)" = failed ]
"$CPOSE" run missing.lua >/dev/null 2>err.txt
check "missing script exits 1" [ $? -eq 1 ]
check "missing script named" grep -q "missing.lua" err.txt
"$CPOSE" run job.lua threads=many >/dev/null 2>err.txt
check "bad runner value exits 1" [ $? -eq 1 ]
check "bad runner value named" grep -q "threads takes an integer" err.txt
"$CPOSE" run >/dev/null 2>err.txt
check "no script: usage error" [ $? -eq 2 ]

# --- error objects that are not strings ---
echo 'error(setmetatable({}, {__tostring = function() return "custom failure" end}))' > obj.lua
"$CPOSE" run obj.lua save_dir=obj >/dev/null 2>err.txt
check "error object with __tostring" grep -q "custom failure" err.txt
echo 'error({code = 3})' > tbl.lua
"$CPOSE" run tbl.lua save_dir=tbl >/dev/null 2>err.txt
check "plain error object" grep -q "error object is a table value" err.txt

# --- os.exit: the record is still written, uncommitted files aborted, the code kept ---
cat > ex.lua <<'LUA'
local cpose = require "cpose"
local f = cpose.job.open(cpose.job.dir() .. "/unfinished.txt")
f:write("partial")
os.exit(3)
LUA
"$CPOSE" run ex.lua save_dir=ex >/dev/null 2>&1
check "os.exit code kept" [ $? -eq 3 ]
check "os.exit recorded" grep -q '"error":.*os.exit(3)' ex/run.json
check "os.exit aborted the open file" [ ! -e ex/unfinished.txt ]
echo 'os.exit(true)' > ok.lua
"$CPOSE" run ok.lua save_dir=okx >/dev/null 2>&1
check "os.exit(true) → 0" [ $? -eq 0 ]
check "os.exit(true) status ok" [ "$(field okx/run.json status)" = ok ]

# --- required Lua modules and dofile'd files are inputs ---
mkdir -p lib
echo 'return {x = 1}' > lib/helper.lua
echo 'return 2' > extra.lua
cat > req.lua <<'LUA'
package.path = "lib/?.lua;" .. package.path
assert(require("helper").x == 1)
assert(dofile("extra.lua") == 2)
LUA
"$CPOSE" run req.lua save_dir=req >/dev/null 2>&1
check "required module listed with its sha256" grep -q "$(sha256sum lib/helper.lua | cut -d' ' -f1)" req/run.json
check "dofile'd file listed with its sha256" grep -q "$(sha256sum extra.lua | cut -d' ' -f1)" req/run.json

# --- Ctrl-C: the job fails through the normal path (record written, open files aborted) ---
cat > loop.lua <<'LUA'
local cpose = require "cpose"
local f = cpose.job.open(cpose.job.dir() .. "/never.txt")
f:write("x")
print("looping"); io.stdout:flush()
while true do end
LUA
"$CPOSE" run loop.lua save_dir=intr >loop.out 2>loop.err &
pid=$!
for _ in $(seq 50); do grep -q looping loop.out 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
check "interrupted job exits 1" [ $? -eq 1 ]
check "interruption recorded" grep -q '"error":.*interrupted' intr/run.json
check "interrupted job left no file" [ -z "$(ls intr | grep -v '^run.json$')" ]

# --- a job folder that cannot be created: the job fails, saying why ---
echo 'return 1' > one.lua
"$CPOSE" run one.lua save_dir=/proc/cpose-no-such-folder >/dev/null 2>err.txt
check "unwritable record exits 1" [ $? -eq 1 ]
check "unwritable record explained" grep -q "cannot create the job folder for run.json" err.txt

"$CPOSE" run --help >out.txt 2>&1
check "run --help exits 0" [ $? -eq 0 ]
check "run --help explains run.json" grep -q "run.json" out.txt

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
