#!/usr/bin/env bash
# tests/cli/plugin_out_of_tree.sh — the plugin guide (plugins/README.md) works as written: installs
# cpose into a temporary prefix, runs the guide's out-of-tree block line by line (builds the template
# plugin against the installed header and pkg-config file only), and checks that the installed cpose
# loads that plugin (not the build tree's) and exports with it. Also: the installed header compiles
# on its own, and exporters include nothing of cpose but plugins/cpose_plugin.h.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN not set}
SRC=${CPOSE_SOURCE_DIR:?CPOSE_SOURCE_DIR not set}
BUILD=$(cd "$(dirname "$CPOSE")" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/cpose-test-oot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$here/../helpers/check.sh"
command -v cc >/dev/null && command -v pkg-config >/dev/null || { echo "SKIP: cc or pkg-config missing"; exit 77; }
PREFIX=$tmp/prefix
mkdir -p "$tmp/work" && cd "$tmp/work"

# the guide's block: the lines between its marker comment and the closing fence
sed -n '/^# out-of-tree build (tests\/cli\/plugin_out_of_tree.sh runs these lines)$/,/^```$/p' "$SRC/plugins/README.md" |
    sed '1d;$d' > guide.sh
check "the guide's block was found" [ -s guide.sh ]
out=$(PREFIX=$PREFIX BUILD=$BUILD SRC=$SRC bash -e guide.sh 2>&1); rc=$?
echo "$out" | tail -5
check "the guide's commands succeed" [ $rc -eq 0 ]
check "header installed" [ -f "$PREFIX/include/cpose/cpose_plugin.h" ]
check "pkg-config file installed" [ -f "$PREFIX/lib/pkgconfig/cpose-plugin.pc" ]
check "shipped plugins installed" [ -f "$PREFIX/lib/cpose/plugins/cpose-export-onnx.so" ]
check "plugin built out of tree" [ -f cpose-export-dump.so ]
has() { [[ "$1" == *"$2"* ]] || { echo "  missing: $2" >&2; return 1; }; }
check "format=? shows the out-of-tree file for dump" has "$out" "dump         .dump.txt          $tmp/work/cpose-export-dump.so"
check "the export was written" [ -s out/dump/yolov8n-pose.dump.txt ]
check "the dump holds the metadata" grep -q "^# kpt_shape: \[17, 3\]" out/dump/yolov8n-pose.dump.txt
check "the dump holds the graph at 320" grep -q "Input     images .* \[1, 3, 320, 320\]" out/dump/yolov8n-pose.dump.txt
check "the plugin links nothing of cpose" bash -c "! nm -D --undefined-only cpose-export-dump.so | grep -q cpose_"

# the installed header stands alone (C and C++)
printf '#include <cpose_plugin.h>\nint main(void) { return CPOSE_PLUGIN_ABI_MAJOR - 1; }\n' > alone.c
check "installed header compiles alone (C)" cc -std=c11 -Wall -Werror $(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags cpose-plugin) alone.c -o alone
if command -v c++ >/dev/null; then
    cp alone.c alone.cpp
    check "installed header compiles alone (C++)" c++ -Wall -Werror $(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags cpose-plugin) alone.cpp -o alone2
fi

# exporters and the template see only the ABI header
bad=$(cd "$SRC" && grep -rhoE '#include *["<][^">]+[">]' exporters plugins/template | grep -vE '<[a-z0-9_/]+\.h>$|"plugins/cpose_plugin\.h"|<cpose_plugin\.h>|"exporters/[^"]+"|"onnx/onnx\.pb-c\.h"' | sort -u)
check "exporters include only cpose_plugin.h (found: $bad)" [ -z "$bad" ]

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
