#!/bin/bash
# tests/helpers/tfjs_setup.sh — makes TensorFlow.js available for the TF export tests: installs
# @tensorflow/tfjs-core, tfjs-converter, tfjs-backend-cpu (pure JS, no install scripts) and protobufjs
# with npm into a cache folder outside the repository. Prints the node_modules folder (for NODE_PATH)
# on stdout; exits 77 (skip) when node/npm are missing, 1 when the install fails.
set -u
CACHE=${CPOSE_TFJS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpose-tfjs}
PKGS="@tensorflow/tfjs-core@^4.22.0 @tensorflow/tfjs-converter@^4.22.0 @tensorflow/tfjs-backend-cpu@^4.22.0 protobufjs@^8.8.1"
command -v node >/dev/null && command -v npm >/dev/null || { echo "tfjs_setup.sh: node/npm not installed (scripts/setup.sh installs them)" >&2; exit 77; }
ok=1
for p in @tensorflow/tfjs-core @tensorflow/tfjs-converter @tensorflow/tfjs-backend-cpu protobufjs; do
    [ -d "$CACHE/node_modules/$p" ] || ok=0
done
if [ $ok = 0 ]; then
    mkdir -p "$CACHE" || exit 1
    [ -f "$CACHE/package.json" ] || echo '{"private": true}' > "$CACHE/package.json"
    # shellcheck disable=SC2086
    (cd "$CACHE" && npm install --no-audit --no-fund --silent $PKGS >&2) ||
        { echo "tfjs_setup.sh: npm install $PKGS failed" >&2; exit 1; }
fi
echo "$CACHE/node_modules"
