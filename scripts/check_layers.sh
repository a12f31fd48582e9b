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

ORDER="base nn predict datasets eval reports train plugins shell"

# Every file to check, then every quoted include as "file<TAB>line<TAB>header", go through one awk program.
files=$(find core datasets eval reports plugins exporters tests -type f \
          \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.def' \) 2>/dev/null | sort)
# shellcheck disable=SC2086
{
  printf '%s\n' $files | sed 's/^/F\t/'
  { grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' $files /dev/null || true; } |
    sed -E 's/^([^:]+):([0-9]+):[^"]*"([^"]+)".*/I\t\1\t\2\t\3/'
  # tests declare their layer: "/* cpose-layer: NAME */"
  { grep -HoE 'cpose-layer: *[a-z]+' $(printf '%s\n' $files | grep -E '^tests/test_.*\.c$') /dev/null || true; } |
    sed -E 's/^([^:]+):cpose-layer: *([a-z]+)$/T\t\1\t\2/'
} | awk -F'\t' -v order="$ORDER" '
function layer_of(p) {
  if (p ~ /^core\/base\//) return "base"
  if (p ~ /^core\/nn\//) return "nn"
  if (p ~ /^core\/predict\//) return "predict"
  if (p ~ /^(datasets|eval|core)\/bench\//) return "tool"
  if (p ~ /^datasets\//) return "datasets"
  if (p ~ /^eval\//) return "eval"
  if (p ~ /^reports\//) return "reports"
  if (p ~ /^core\/train\//) return "train"
  if (p ~ /^plugins\//) return "plugins"
  if (p ~ /^core\/(cli|lua)\//) return "shell"
  if (p ~ /^exporters\//) return "exporter"
  if (p ~ /^tests\//) return "tests"
  return ""
}
function fail(msg) { print msg; bad++ }
BEGIN { n = split(order, L, " "); for (i = 1; i <= n; i++) rank[L[i]] = i }
$1 == "F" { exists[$2] = 1; nfiles++; next }
$1 == "T" { declared[$2] = $3; next }
$1 == "I" { inc[++ninc] = $2 "\t" $3 "\t" $4; next }
END {
  for (f in exists) if (f ~ /^tests\/test_.*\.c$/ && !(f in declared))
    fail(f ":1: test declares no layer: add a line /* cpose-layer: NAME */ (one of " order ")")
  for (k = 1; k <= ninc; k++) {
    split(inc[k], a, "\t"); f = a[1]; line = a[2]; h = a[3]
    own = layer_of(f)
    if (own == "") continue
    if (own == "tests") own = (f ~ /^tests\/test_.*\.c$/) ? declared[f] : "tool"
    if (own == "") continue
    if (h ~ /^onnx\//) continue                      # generated protobuf-c headers (build/gen)
    if (!(h in exists)) { fail(f ":" line ": include \"" h "\" is not a path from the repository root (write it as \"core/base/status.h\", \"datasets/dataset.h\", ...)"); continue }
    theirs = layer_of(h)
    if (own == "tool") continue
    if (own == "exporter") {
      if (h == "plugins/cpose_plugin.h" || h ~ /^exporters\//) continue
      fail(f ":" line ": exporter includes " h " (layer " theirs "): exporters see only plugins/cpose_plugin.h"); continue
    }
    if (theirs == "tests" || theirs == "tool") {
      if (f ~ /^tests\//) continue
      fail(f ":" line ": layer " own " includes " h ", a test file"); continue
    }
    if (!(own in rank)) { fail(f ":1: unknown layer \"" own "\" (one of " order ")"); continue }
    if (rank[theirs] > rank[own])
      fail(f ":" line ": layer " own " includes " h " of layer " theirs " (above " own "; order: " order ")")
  }
  if (bad) { printf "check_layers: %d violation(s) in %d files\n", bad, nfiles; exit 1 }
  printf "check_layers: %d files, %d includes, layers %s: no violations\n", nfiles, ninc, order
}'
