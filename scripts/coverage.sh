#!/usr/bin/env bash
# scripts/coverage.sh — line and branch coverage of the fast test suite: builds build-cov/ with
# gcc's --coverage (ccache, no -march=native so the figures do not depend on the CPU), runs
# `ctest -LE slow`, then prints gcovr's summary over the project's sources (tests, benchmarks and
# generated code excluded). Needs gcovr (Debian package, in scripts/setup.sh).
#
#   bash scripts/coverage.sh [extra ctest arguments, e.g. -R test_cocoeval]
#
# Prints "lines: N% (covered out of total)" and "branches: ..." last; the HTML report is in
# build-cov/coverage/index.html. Test failures are reported but do not stop the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command -v gcovr >/dev/null || bash scripts/setup.sh >/dev/null
bdir=$root/build-cov
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Debug -DCPOSE_NATIVE=OFF \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_C_FLAGS="--coverage -O1" -DCMAKE_CXX_FLAGS="--coverage -O1" \
    -DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage >/dev/null
cmake --build "$bdir" -j2 >"$bdir/coverage-build.log" 2>&1 || { tail -20 "$bdir/coverage-build.log" >&2; exit 1; }
find "$bdir" -name '*.gcda' -delete
status=0
(cd "$bdir" && ctest -j2 -LE slow "$@" >"$bdir/coverage-ctest.log" 2>&1) || status=$?
grep -E "tests passed|tests failed" "$bdir/coverage-ctest.log" || true
[ "$status" -eq 0 ] || grep -E "\(Failed\)|\*\*\*" "$bdir/coverage-ctest.log" >&2 || true
mkdir -p "$bdir/coverage"
# exclude tests, benchmarks and build-tree (generated) sources; unreachable-branch noise from
# asserts is kept: the figure is comparable run to run, which is what it is for
gcovr --root "$root" --object-directory "$bdir" \
    --exclude "$root/tests/" --exclude '.*/bench/' --exclude "$bdir/" --exclude-directories "$bdir/CMakeFiles/[0-9]" \
    --exclude-unreachable-branches --exclude-throw-branches \
    --html-details "$bdir/coverage/index.html" --print-summary -j2 | tail -3
