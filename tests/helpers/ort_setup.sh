#!/bin/bash
# tests/helpers/ort_setup.sh — makes onnxruntime-node available for the export tests: installs it
# with npm (ONNXRUNTIME_NODE_INSTALL=skip: CPU binaries only, they ship in the package) into a cache
# folder outside the repository, shared with scripts/bench_ort.sh. Prints the node_modules folder
# (for NODE_PATH) on stdout; exits 77 (skip) when node/npm are missing, 1 when the install fails.
set -u
CACHE=${CPOSE_ORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpose-ort}
command -v node >/dev/null && command -v npm >/dev/null || { echo "ort_setup.sh: node/npm not installed (scripts/setup.sh installs them)" >&2; exit 77; }
if [ ! -d "$CACHE/node_modules/onnxruntime-node" ]; then
    mkdir -p "$CACHE" || exit 1
    [ -f "$CACHE/package.json" ] || echo '{"private": true}' > "$CACHE/package.json"
    (cd "$CACHE" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --silent onnxruntime-node >&2) ||
        { echo "ort_setup.sh: npm install onnxruntime-node failed" >&2; exit 1; }
fi
echo "$CACHE/node_modules"
