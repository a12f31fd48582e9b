#!/usr/bin/env bash
# scripts/check_layers.sh — the layering check: every quoted #include in the C/C++ sources must name a
# header by its path from the repository root, and that header's layer must be the including file's own
# layer or one below it. Prints "FILE:LINE: LAYER includes HEADER of layer LAYER2 (above)" per violation
# and exits 1 when there is any; exits 0 and prints a one-line summary otherwise.
# Usage: bash scripts/check_layers.sh [ROOT]   (ROOT: the tree to check, default this checkout)
#
# The allowed order is written here, and only here (README.md "Repository layout" draws it):
#   base < nn < predict < datasets < eval < reports < train < plugins < shell
# Exporters (exporters/) may include only plugins/cpose_plugin.h, exporters/* and generated protobuf headers.
# Tests (tests/test_*.c) declare their layer on a line "/* cpose-layer: NAME */" and are held to it; tests/cli,
# tests' shared headers and benchmark programs (*/bench/*) may include any layer.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

LAYERS=(base nn predict datasets eval reports train plugins shell)

# layer_of PATH → the layer name of a repository path ("" when the path is in no layer)
layer_of() {
  case "$1" in
    core/base/*) echo base ;;
    core/nn/*) echo nn ;;
    core/predict/*) echo predict ;;
    datasets/bench/*|eval/bench/*|core/bench/*) echo tool ;;
    datasets/*) echo datasets ;;
    eval/*) echo eval ;;
    reports/*) echo reports ;;
    core/train/*) echo train ;;
    plugins/*) echo plugins ;;
    core/cli/*|core/lua/*) echo shell ;;
    exporters/*) echo exporter ;;
    tests/*) echo tests ;;
    *) echo "" ;;
  esac
}

rank_of() {
  local i
  for i in "${!LAYERS[@]}"; do [ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }; done
  echo 99
}

# generated headers that are not in the tree (build/gen)
is_generated() { case "$1" in onnx/*) return 0 ;; esac; return 1; }

bad=0 files=0 incs=0
while IFS= read -r f; do
  files=$((files + 1))
  own=$(layer_of "$f")
  [ -z "$own" ] && continue
  if [ "$own" = tests ]; then
    case "$f" in
      tests/test_*.c)
        own=$(sed -n 's/.*cpose-layer: *\([a-z]*\).*/\1/p' "$f" | head -1)
        if [ -z "$own" ]; then
          echo "$f:1: test declares no layer: add a line /* cpose-layer: NAME */ (one of ${LAYERS[*]})"
          bad=$((bad + 1)); continue
        fi ;;
      *) own=tool ;;
    esac
  fi
  while IFS=: read -r line inc; do
    incs=$((incs + 1))
    if is_generated "$inc"; then continue; fi
    if [ ! -f "$inc" ]; then
      echo "$f:$line: include \"$inc\" is not a path from the repository root (write it as \"core/base/status.h\", \"datasets/dataset.h\", ...)"
      bad=$((bad + 1)); continue
    fi
    theirs=$(layer_of "$inc")
    [ "$own" = tool ] && continue
    if [ "$own" = exporter ]; then
      case "$inc" in plugins/cpose_plugin.h|exporters/*) continue ;; esac
      echo "$f:$line: exporter includes $inc (layer $theirs): exporters see only plugins/cpose_plugin.h"
      bad=$((bad + 1)); continue
    fi
    if [ "$theirs" = tests ] || [ "$theirs" = tool ]; then
      case "$f" in tests/*) continue ;; esac
      echo "$f:$line: layer $own includes $inc, a test file"
      bad=$((bad + 1)); continue
    fi
    if [ "$(rank_of "$theirs")" -gt "$(rank_of "$own")" ]; then
      echo "$f:$line: layer $own includes $inc of layer $theirs (above $own; order: ${LAYERS[*]})"
      bad=$((bad + 1))
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$f" | sed -E 's/^([0-9]+):[^"]*"([^"]+)".*/\1:\2/')
done < <(find core datasets eval reports plugins exporters tests -type f \
           \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.def' \) 2>/dev/null | sort)

if [ "$bad" -gt 0 ]; then
  echo "check_layers: $bad violation(s) in $files files"
  exit 1
fi
echo "check_layers: $files files, $incs includes, layers ${LAYERS[*]}: no violations"
