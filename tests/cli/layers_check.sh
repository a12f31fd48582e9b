#!/bin/bash
# tests/cli/layers_check.sh — scripts/check_layers.sh passes on the tree and fails, naming the file, the
# line and both layers, on a temporary copy with one wrong include of each kind: a layer including a
# layer above it, an include that is not a root-relative path, an exporter including core, a test
# program without a declared layer, and a test reaching above its declared layer.
set -u
src=${CPOSE_SOURCE_DIR:?}
. "$src/tests/helpers/check.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cpose-cli-layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fresh() {  # a clean copy of the source folders the check reads
    rm -rf "$tmp/t" && mkdir -p "$tmp/t"
    for d in core datasets eval reports plugins exporters tests scripts; do
        [ -d "$src/$d" ] && cp -r "$src/$d" "$tmp/t/"
    done
}
run() { out=$(bash "$src/scripts/check_layers.sh" "$tmp/t" 2>&1); rc=$?; }
has() { [[ "$out" == *"$1"* ]]; }

fresh; run
check "the tree itself passes ($out)" test "$rc" -eq 0
check "summary line" has "no violations"

# 1. the base layer includes the shell: file, line and both layers named
fresh
f=core/base/alloc.c
n=$(($(grep -n '^#include' "$tmp/t/$f" | tail -1 | cut -d: -f1) + 1))
sed -i "${n}i #include \"core/cli/cli.h\"" "$tmp/t/$f"
run
check "upward include fails" test "$rc" -eq 1
check "names file:line and both layers ($out)" has "$f:$n: layer base includes core/cli/cli.h of layer shell"

# 2. eval includes reports (one step up)
fresh
echo '#include "reports/svg.h"' >> "$tmp/t/eval/metrics.c"
n=$(wc -l < "$tmp/t/eval/metrics.c")
run
check "eval → reports fails" test "$rc" -eq 1
check "eval → reports named" has "eval/metrics.c:$n: layer eval includes reports/svg.h of layer reports"

# 3. an include that is not written from the repository root
fresh
echo '#include "status.h"' >> "$tmp/t/core/nn/tensor.h"
run
check "bare include fails" test "$rc" -eq 1
check "bare include named" has "core/nn/tensor.h:$(wc -l < "$tmp/t/core/nn/tensor.h"): include \"status.h\" is not a path from the repository root"

# 4. an exporter reaching into core
fresh
mkdir -p "$tmp/t/exporters/x"
printf '#include "core/nn/graph.h"\n' > "$tmp/t/exporters/x/x.c"
run
check "exporter → core fails" test "$rc" -eq 1
check "exporter message" has "exporters/x/x.c:1: exporter includes core/nn/graph.h"

# 5. a test program that declares no layer, and one that reaches above its layer
fresh
printf '/* tests/test_zz.c */\nint main(void) { return 0; }\n' > "$tmp/t/tests/test_zz.c"
printf '/* tests/test_zy.c */\n/* cpose-layer: nn */\n#include "eval/metrics.h"\nint main(void) { return 0; }\n' \
    > "$tmp/t/tests/test_zy.c"
run
check "undeclared test fails" has "tests/test_zz.c:1: test declares no layer"
check "test above its layer fails" has "tests/test_zy.c:3: layer nn includes eval/metrics.h of layer eval"
check "exit 1" test "$rc" -eq 1

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
