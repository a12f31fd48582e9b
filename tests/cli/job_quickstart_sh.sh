#!/usr/bin/env bash
# tests/cli/job_quickstart_sh.sh — scripts/quickstart.sh (the README's first command) on a copy of this
# source tree: it builds into the copy's build/ (packages are present, so setup installs nothing) and
# runs the quickstart job with the arguments given, in the copy's runs/jobs/quickstart. Slow: a full
# build (labelled slow: tests/slow/cli_job_quickstart_sh).
set -u
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR not set}
T=$(mktemp -d /tmp/cpose-test-job-quickstart-sh-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. "$(dirname "$0")/../helpers/check.sh"
# a fresh clone's files: the tracked tree (plus uncommitted edits), no build folders
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | grep -zv '^build' | xargs -0 cp --parents -t "$T") 2>/dev/null \
    || { echo "SKIP: cannot copy the source tree (not a git checkout?)"; exit 77; }
(cd "$T" && bash scripts/quickstart.sh n_train=2 n_val=2 imgsz=96 epochs=1 batch=2) >"$T/out" 2>&1
check "quickstart.sh exits 0" [ $? -eq 0 ]
check "build announced" grep -q "^quickstart: built build/cpose in" "$T/out"
check "job ran" grep -qF "[6/7] val:" "$T/out"
check "job folder in the clone" [ -s "$T/runs/jobs/quickstart/run.json" ]
check "build log kept" [ -s "$T/build/quickstart-build.log" ]
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
