#!/usr/bin/env bash
# tests/cli/train_errors.sh — `cpose train` refuses bad input by name, exits non-zero and leaves no run
# folder: an unknown key (with the nearest valid one), a key that does not apply to pose or is not
# implemented (mixup), negative epochs, a missing dataset, a dataset without labels. The C API's
# refusals are test_trainer's; this checks what a CLI user sees.
set -u
T=$(mktemp -d /tmp/cpose-test-cli-trainerr-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
"$CPOSE_BIN" synth save_dir="$T/syn" n_train=2 n_val=1 imgsz=64 seed=1 >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
cp -r "$T/syn" "$T/nolab" && rm -rf "$T/nolab/labels"
sed -i "s#$T/syn#$T/nolab#g" "$T/nolab/synth-pose.yaml"
base="model=yolov8n-pose.yaml imgsz=64 batch=2 epochs=1 project=$T/runs name=r"
# each case: arguments | text the message must hold
while IFS='|' read -r args want; do
  out=$("$CPOSE_BIN" train $base $args 2>&1)
  rc=$?
  check "$args: non-zero exit" '[ $rc != 0 ]'
  check "$args: message holds '$want' (got: $out)" 'printf "%s" "$out" | grep -qF -- "$want"'
  check "$args: no run folder" '[ ! -e "$T/runs/r" ]'
done <<CASES
data=$T/syn/synth-pose.yaml epoch=3|'epoch' is not a valid argument; did you mean 'epochs'
data=$T/syn/synth-pose.yaml mixup=0.5|mixup=0.5 is not supported
data=$T/syn/synth-pose.yaml epochs=-2|epochs=-2
data=$T/missing.yaml|missing.yaml
data=$T/nolab/synth-pose.yaml|labels
CASES
[ $fail = 0 ] && echo "train_errors: all checks passed"
exit $fail
