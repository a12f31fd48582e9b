#!/bin/bash
# tests/cli/export_pytorch.sh — format=pytorch and format=torchscript from the command line:
# `cpose export format=?` lists both; each writes its file into the run folder, a zip that Python's
# zipfile opens with the members torch expects (<stem>/data.pkl, <stem>/version, and for TorchScript
# <stem>/code/__torch__.py, constants.pkl, extra/config.txt holding the metadata JSON with the
# export's imgsz); optimize=True is refused by name, leaving no file. Loading with torch:
# tests/test_export_pytorch.c, tests/test_export_torchscript.c. Generated model only.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
[ -x /usr/bin/python3 ] || { echo "SKIP: /usr/bin/python3 missing"; exit 77; }
tmp=$(mktemp -d /tmp/cpose-test-export-pt-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

out=$("$CPOSE" export format=? 2>&1)
echo "$out" | grep -q "pytorch .*\.pt" && ok "format=? lists pytorch" || bad "format=?: $out"
echo "$out" | grep -q "torchscript .*\.torchscript" && ok "format=? lists torchscript" || bad "format=?: $out"

"$CPOSE" export model=yolov8n-pose.yaml format=pytorch half=True project=p name=pt >pt.log 2>&1 && ok "pytorch export" \
    || bad "pytorch export: $(cat pt.log)"
"$CPOSE" export model=yolov8n-pose.yaml format=torchscript imgsz=320 project=p name=ts >ts.log 2>&1 && ok "torchscript export" \
    || bad "torchscript export: $(cat ts.log)"
/usr/bin/python3 - p/pt/yolov8n-pose.pt p/ts/yolov8n-pose.torchscript <<'PY' && ok "zip members" || bad "zip members"
import json, sys, zipfile
pt = zipfile.ZipFile(sys.argv[1]).namelist()
assert pt[0] == "yolov8n-pose/data.pkl" and "yolov8n-pose/version" in pt, pt[:3]
z = zipfile.ZipFile(sys.argv[2])
ts = z.namelist()
for m in ("data.pkl", "code/__torch__.py", "constants.pkl", "version", "extra/config.txt"):
    assert "yolov8n-pose/" + m in ts, (m, ts[:5])
md = json.loads(z.read("yolov8n-pose/extra/config.txt"))
assert md["imgsz"] == [320, 320] and md["task"] == "pose", md
PY

out=$("$CPOSE" export model=yolov8n-pose.yaml format=torchscript optimize=True project=p name=opt 2>&1) && bad "optimize=True accepted"
echo "$out" | grep -q "optimize=True asks for the mobile (lite interpreter) format" && ok "optimize=True refused" || bad "optimize: $out"
[ ! -e p/opt/yolov8n-pose.torchscript ] && ok "nothing written on error" || bad "file left"
exit $fail
