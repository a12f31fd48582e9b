#!/bin/bash
# tests/cli/export_all.sh — scripts/export-all.lua and the Lua functions behind it:
# cpose.export_formats() lists exactly the formats `cpose export format=?` prints (the registry at
# run time); the job writes export_all.{md,json,csv} with one row per built format; onnx, ncnn and
# openvino are read back and match the source (max |Δ| under 1e-2); formats without a reader are
# "exported, no reader" with a size; engine fails naming TensorRT (when trtexec is absent);
# formats= narrows, an unknown one is refused; cpose.export_probe sees a real difference (an export
# of seed 1 weights against the seed 0 source), reports "no reader" for a foreign file and "failed"
# with the importer's reason for an ONNX file it refuses.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR not set}
tmp=$(mktemp -d /tmp/cpose-test-export-all-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

formats=$("$CPOSE" export format=? 2>/dev/null | awk '/^  [^ ]/ {print $1}' | sort | tr '\n' ' ')
cat >list.lua <<'LUA'
local cpose = require "cpose"
local t = {}
for _, f in ipairs(cpose.export_formats()) do t[#t + 1] = f.format; assert(f.suffix and f.file and #f.args >= 1, f.format) end
table.sort(t)
print("FORMATS " .. table.concat(t, " ") .. " ")
LUA
got=$("$CPOSE" run list.lua save_dir=l 2>&1 | sed -n 's/^FORMATS //p')
[ -n "$formats" ] && [ "$got" = "$formats" ] && ok "export_formats() = format=? ($got)" || bad "export_formats: '$got' vs '$formats'"

"$CPOSE" run "$SRC/scripts/export-all.lua" model=yolov8n-pose.yaml imgsz=64 save_dir=ea >ea.log 2>&1 \
    && ok "export-all ran" || bad "export-all: $(tail -5 ea.log)"
for f in export_all.md export_all.json export_all.csv; do [ -s "ea/$f" ] && ok "$f" || bad "$f missing"; done
python3 - ea/export_all.json ea/export_all.csv "$formats" <<'PY' && ok "report rows" || bad "report rows"
import csv, json, shutil, sys
doc = json.load(open(sys.argv[1]))
rows = {r["format"]: r for r in doc["rows"]}
assert set(rows) == set(sys.argv[3].split()), (sorted(rows), sys.argv[3])
for f in ("onnx", "ncnn", "openvino"):
    r = rows[f]
    assert r["status"] == "ok" and 0 <= r["max_delta"] < 1e-2 and r["size_mb"] > 1 and r["seconds"] >= 0, r
for f in ("pb", "tfjs", "tflite", "saved_model"):
    if f in rows: assert rows[f]["status"] == "exported, no reader" and rows[f]["size_mb"] > 1 and "max_delta" not in rows[f], rows[f]
if "engine" in rows and not shutil.which("trtexec"):
    assert rows["engine"]["status"].startswith("failed: TensorRT not found"), rows["engine"]
c = list(csv.DictReader(open(sys.argv[2])))
assert [r["format"] for r in c] == [r["format"] for r in doc["rows"]], c
assert list(c[0].keys()) == ["format", "file", "size_mb", "export_seconds", "max_abs_delta", "status"], c[0].keys()
PY
grep -qF "| format | file | size MB | export s | max abs Δ vs source | status |" ea/export_all.md && ok "markdown header" || bad "md: $(cat ea/export_all.md)"

"$CPOSE" run "$SRC/scripts/export-all.lua" model=yolov8n-pose.yaml imgsz=64 formats=onnx save_dir=one >one.log 2>&1 \
    && python3 -c "import json,sys; r=json.load(open('one/export_all.json'))['rows']; sys.exit(not (len(r)==1 and r[0]['format']=='onnx'))" \
    && ok "formats= narrows" || bad "formats=onnx: $(tail -3 one.log)"
out=$("$CPOSE" run "$SRC/scripts/export-all.lua" model=yolov8n-pose.yaml imgsz=64 formats=onnx,nope save_dir=bad 2>&1) && bad "formats=nope accepted"
echo "$out" | grep -q "no exporter plugin for 'nope' (built: .*onnx" && ok "unknown format refused" || bad "nope: $out"

cat >probe.lua <<'LUA'
local cpose = require "cpose"
local other = cpose.YOLO("yolov8n-pose.yaml", {seed = 1})
local path = other:export{format = "onnx", imgsz = 64, project = "pr", name = "x", exist_ok = true}
local p = cpose.export_probe("yolov8n-pose.yaml", path, 64)
print(string.format("DIFF %s %.6g", p.status, p.max_delta))
local same = cpose.export_probe(nil, path, {64, 64})
print("SELF " .. same.status .. " " .. tostring(same.max_delta))
local f = io.open("foreign.bin", "wb"); f:write("x"); f:close()
local q = cpose.export_probe("yolov8n-pose.yaml", "foreign.bin", 64)
print("FOREIGN " .. q.status)
-- a hand-made ONNX ModelProto with one Relu node: a kind cpose reads, refused by its importer
-- (CPOSE_ENOTSUP there), which is a failed read-back, not "no reader"
local function varint(n) local s = "" repeat local b = n % 128; n = n // 128; if n > 0 then b = b + 128 end; s = s .. string.char(b) until n == 0 return s end
local function field(num, bytes) return varint(num * 8 + 2) .. varint(#bytes) .. bytes end
local tensor_type = field(1, varint(8) .. varint(1))
local graph = field(1, field(1, "x") .. field(2, "y") .. field(4, "Relu")) .. field(2, "g") ..
  field(11, field(1, "x") .. field(2, tensor_type)) .. field(12, field(1, "y") .. field(2, tensor_type))
local g = io.open("relu.onnx", "wb"); g:write(varint(8) .. varint(8) .. field(7, graph) .. field(8, varint(16) .. varint(17))); g:close()
local r = cpose.export_probe("yolov8n-pose.yaml", "relu.onnx", 64)
print("REFUSED " .. r.status .. " " .. tostring(r.message))
LUA
out=$("$CPOSE" run probe.lua save_dir=p 2>&1)
echo "$out" | grep -qE "^DIFF ok [0-9.e+-]+$" && awk '/^DIFF/ {exit !($3 > 1e-3)}' <<<"$out" && ok "probe sees other weights" || bad "probe: $out"
echo "$out" | grep -q "^SELF ok nil$" && ok "probe without a source reads back only" || bad "self: $out"
echo "$out" | grep -q "^FOREIGN no reader$" && ok "foreign file: no reader" || bad "foreign: $out"
echo "$out" | grep -q "^REFUSED failed relu.onnx: .*op Relu is not supported" && ok "a refused ONNX file: failed, with the reason" \
    || bad "refused: $out"
exit $fail
