#!/usr/bin/env bash
# scripts/quickstart.sh — the README's first command: install what is missing and build (scripts/build.sh,
# log in build/quickstart-build.log), then run the quickstart job (scripts/quickstart.lua) with the
# arguments given here, e.g. `bash scripts/quickstart.sh model=weights.h5 n_train=64 n_val=16 imgsz=320`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
log=build/quickstart-build.log
echo "quickstart: installing packages (scripts/setup.sh) and building (log: $log) ..."
start=$(date +%s)
if ! bin=$(bash scripts/build.sh build 2>"$log"); then
    echo "quickstart: the build failed; the end of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
fi
grep '^setup:' "$log" || true
echo "quickstart: built $bin in $(( $(date +%s) - start )) s"
echo "quickstart: $bin run scripts/quickstart.lua $*"
exec "$bin" run scripts/quickstart.lua "$@"
