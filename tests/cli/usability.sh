#!/bin/bash
# tests/cli/usability.sh — what a `yolo` user tries first, on data cpose generates (no fixtures):
# per-mode help for every mode (three spellings), the modes this binary lacks named with a reason,
# `cpose detect ...` answered as pose-only, `cpose checks` fields (OpenCV's from the image module, or
# "missing" with the path tried), `cpose version` mapping no OpenCV (start-up time), the `settings`
# round trip and its runs_dir, device=0 refused / device=cpu accepted, no empty run folder after a
# failed predict, keypoints under 0.5 confidence written as `0 0 conf` (txt, predictions.json, Lua
# results), and a misspelt job argument printed alone while a real job error keeps its traceback.
set -u
fail=0
check() {  # check "<description>" command...
    if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}
B=${CPOSE_BIN:?}
SRC=${CPOSE_SOURCE_DIR:?}
T=$(mktemp -d /tmp/cpose-usability-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
export XDG_CONFIG_HOME="$T/config"   # never the user's settings

# --- help ---------------------------------------------------------------------------------------
"$B" help >help.txt 2>&1
check "help exits 0" test $? -eq 0
modes=$(sed -n '/^modes:/,/^$/p' help.txt | awk 'NF && $1 != "modes:" {print $1}')
check "help lists the modes" test "$(wc -w <<<"$modes")" -ge 15
check "help names track as not built, with why" grep -Eq '^  track +tracking is not part of cpose' help.txt
check "help lists export as a mode (the plugins are built)" grep -Eq '^  export ' <<<"$(sed -n '/^modes:/,/^$/p' help.txt)"
for m in $modes; do
    "$B" help "$m" >h1.txt 2>&1; r1=$?
    "$B" "$m" help >h2.txt 2>&1; r2=$?
    "$B" "$m" --help >h3.txt 2>&1; r3=$?
    check "help $m: three spellings exit 0" test "$r1$r2$r3" = 000
    check "help $m: same text" cmp -s h1.txt h2.txt
    check "help $m: same text (--help)" cmp -s h1.txt h3.txt
    check "help $m: names the mode" grep -q "^cpose $m — " h1.txt
    # every argument line: key, default (None when unset), one line of meaning
    check "help $m: argument lines" awk '/^arguments/ {a = 1; next} a && NF < 3 {bad = 1} END {exit bad}' h1.txt
    check "help $m: every key known" bash -c '! grep -q "not in core/base/args.def" "$1"' _ h1.txt
done
"$B" help val >val.txt
check "val help: conf default None" grep -Eq '^  conf +None +confidence' val.txt
check "val help: iou default 0.7" grep -Eq '^  iou +0\.7 ' val.txt
check "val help: data" grep -Eq '^  data +None +dataset YAML' val.txt
"$B" help convert >conv.txt
check "convert help: style default json2yolo" grep -Eq '^  style +json2yolo ' conv.txt
check "convert help: strict" grep -Eq '^  strict +False ' conv.txt
"$B" help track >tr.txt 2>&1
check "help track: not built, exit 2" test $? -eq 2
check "help track: says why" grep -q "not built in this binary: tracking" tr.txt
"$B" export format=? >ex.txt 2>&1
check "export format=?: exit 0" test $? -eq 0
check "export format=?: lists onnx" grep -q "onnx" ex.txt
"$B" detect predict model=x.pt >det.txt 2>&1
check "detect predict: exit 2" test $? -eq 2
check "detect predict: pose-only" grep -q "cpose is pose-only" det.txt
check "detect predict: no download hint" bash -c '! grep -q download det.txt'
"$B" predict task=segment model=x.pt >task.txt 2>&1
check "task=segment refused as pose-only" grep -q "task=segment: cpose is pose-only" task.txt

# --- checks -------------------------------------------------------------------------------------
"$B" checks >checks.txt 2>&1
check "checks exits 0" test $? -eq 0
for field in "cpose" "oneDNN" "HDF5" "OpenCV" "Lua" "libcurl" "libarchive" "CPU" "CPU flags" "kernels" "threads" \
             "memory" "settings"; do
    check "checks: $field" grep -Eq "^$field: +[^ ]" checks.txt
done
check "checks: versions are numbers" grep -Eq '^oneDNN: +[0-9]+\.[0-9]+\.[0-9]+' checks.txt
check "checks: HDF5 version" grep -Eq '^HDF5: +1\.[0-9]+\.[0-9]+' checks.txt
check "checks: OpenCV version and module from the loaded module" \
    grep -Eq '^OpenCV: +[0-9]+\.[0-9]+\.[0-9]+ .*from /.*libcpose_cv\.so\)$' checks.txt
CPOSE_CV_MODULE=/nonexistent/x.so "$B" checks >checks_nocv.txt 2>&1
check "checks without the OpenCV module: exits 0, says so with the path" \
    bash -c "test $? -eq 0 && grep -Eq '^OpenCV: +missing: .*/nonexistent/x\.so' checks_nocv.txt"

# --- start-up: OpenCV (≈0.15 s of loading) is mapped only by commands that touch images ----------
LD_DEBUG=files "$B" version >ld_version.txt 2>&1
check "version exits 0 and loads no OpenCV" bash -c "grep -Eq '^cpose [0-9]' ld_version.txt && ! grep -q opencv ld_version.txt"
LD_DEBUG=files "$B" checks >ld_checks.txt 2>&1
check "checks does load OpenCV (the LD_DEBUG probe sees it)" grep -q 'libopencv_imgcodecs' ld_checks.txt
check "checks: kernel ISA" grep -Eq '^kernels: +oneDNN ISA cpu_isa_' checks.txt
check "checks: settings file in XDG_CONFIG_HOME" grep -q "^settings: *$T/config/cpose/settings.yaml" checks.txt
check "checks: the three folders" grep -Eq '^  runs_dir +runs$' checks.txt

# --- settings -----------------------------------------------------------------------------------
S="$T/config/cpose/settings.yaml"
"$B" settings >s0.txt 2>&1
check "settings shows the defaults" grep -qx "datasets_dir: datasets" s0.txt
check "settings alone writes nothing" test ! -e "$S"
"$B" settings runs_dir="$T/myruns" weights_dir=/data/w >s1.txt 2>&1
check "settings key=value exits 0" test $? -eq 0
check "settings file written" grep -qx "runs_dir: $T/myruns" "$S"
check "settings keeps the others" grep -qx "datasets_dir: datasets" "$S"
"$B" settings >s2.txt 2>&1
check "settings read back" grep -qx "weights_dir: /data/w" s2.txt
"$B" settings run_dir=x >s3.txt 2>&1
check "unknown setting refused" test $? -ne 0
check "unknown setting: nearest named" grep -q "did you mean 'runs_dir'" s3.txt
check "refused change leaves the file" grep -qx "runs_dir: $T/myruns" "$S"

# --- predict on generated data: runs_dir, device, run folders, hidden keypoints -------------------
"$B" synth save_dir=syn n_train=1 n_val=2 imgsz=128 >synth.txt 2>&1
check "synth" test $? -eq 0
mkdir bad && head -c 2000 /dev/urandom > bad/x.jpg
"$B" predict model=yolov8n-pose.yaml source=bad imgsz=128 >p0.txt 2>&1
check "predict on unreadable images fails" test $? -ne 0
check "failed predict leaves no run folder" test ! -e "$T/myruns/pose/predict"
"$B" predict model=yolov8n-pose.yaml source=syn/images/val imgsz=128 device=0 >p1.txt 2>&1
check "device=0 refused" grep -q "device=0 is not available: this cpose build runs on the CPU only" p1.txt
"$B" val model=yolov8n-pose.yaml data=syn/synth-pose.yaml device=cuda:0 >p1v.txt 2>&1
check "val device=cuda:0 refused" grep -q "device=cuda:0 is not available" p1v.txt
"$B" predict model=yolov8n-pose.yaml source=syn/images/val imgsz=128 conf=0.01 save_txt=True save_conf=True \
    device=cpu >p2.txt 2>&1
check "device=cpu accepted, predict runs" test $? -eq 0
check "runs_dir from the settings: the first predict folder" grep -qx "Results saved to $T/myruns/pose/predict" p2.txt
L="$T/myruns/pose/predict/labels"
check "labels written" test -s "$L/000000000001.txt"
# Ultralytics' Results: keypoints under 0.5 confidence are `0 0 conf`; the fresh model's keypoint
# confidences straddle 0.5, so both sides occur
check "txt: every keypoint under 0.5 is 0 0 conf, and some are" awk '
    { for (i = 6; i + 2 < NF; i += 3) { if ($(i + 2) < 0.5) { low++; if ($i != 0 || $(i + 1) != 0) bad = 1 } else high++ } }
    END { exit bad || !low || !high }' "$L"/*.txt
check "predictions.json: the same rule" python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
k = [r["keypoints"][i:i + 3] for r in rows for i in range(0, len(r["keypoints"]), 3)]
low = [p for p in k if p[2] < 0.5]
sys.exit(not rows or not low or any(p[0] != 0 or p[1] != 0 for p in low) or all(p[2] < 0.5 for p in k))
' "$T/myruns/pose/predict/predictions.json"
cat > kp.lua <<'LUA'
local cpose = require "cpose"
local model <close> = cpose.YOLO("yolov8n-pose.yaml")
local res = model:predict{source = arg.src, imgsz = 128, conf = 0.01, save = false, verbose = false}
local low, bad = 0, 0
for _, r in ipairs(res) do
  for _, person in ipairs(r.keypoints) do
    for _, p in ipairs(person) do
      if p[3] < 0.5 then low = low + 1; if p[1] ~= 0 or p[2] ~= 0 then bad = bad + 1 end end
    end
  end
end
print(string.format("lua keypoints: %d under 0.5, %d with coordinates", low, bad))
assert(low > 0 and bad == 0, "Lua results keep coordinates of hidden keypoints")
LUA
"$B" run kp.lua src=syn/images/val save_dir="$T/job" >lua.txt 2>&1
check "Lua results: keypoints under 0.5 are 0, 0" grep -q "under 0.5, 0 with coordinates" lua.txt
"$B" settings reset >/dev/null 2>&1
check "settings reset restores the defaults" grep -qx "runs_dir: runs" "$S"

# --- job scripts: a usage error alone, a real error with its traceback ---------------------------
"$B" run "$SRC/scripts/nightly.lua" modles=a.h5 save_dir="$T/j1" >j1.txt 2>&1
check "misspelt job argument: exit 1" test $? -eq 1
check "misspelt job argument: the hint" grep -q "'modles' is not an argument; did you mean 'models'?" j1.txt
check "misspelt job argument: no traceback" bash -c '! grep -q "stack traceback" j1.txt'
printf 'local t = nil\nreturn t.x\n' > boom.lua
"$B" run boom.lua save_dir="$T/j2" >j2.txt 2>&1
check "a real job error keeps its traceback" grep -q "stack traceback" j2.txt
exit $fail
