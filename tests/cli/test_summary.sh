#!/bin/bash
# tests/cli/test_summary.sh — scripts/test.sh's closing line per pass (scripts/lib/ctest_summary.sh)
# on a real ctest run: a passing test, a fixture test run as on a clone without ../shared (it skips
# with its reason), and a failing one. The line must count each and name why the test was skipped.
set -u
fail=0
check() {  # check "<description>" command...
    if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}
SRC=${CPOSE_SOURCE_DIR:?}
BUILD=$(dirname "$CPOSE_BIN")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/CTestTestfile.cmake" <<CT
add_test(passes "/bin/sh" "-c" "echo 3 passed, 0 failed")
add_test(needs_fixtures "$BUILD/tests/test_parity")
set_tests_properties(needs_fixtures PROPERTIES SKIP_RETURN_CODE 77 ENVIRONMENT "CPOSE_FIXTURES=$tmp/no-shared/fixtures")
add_test(fails "/bin/sh" "-c" "exit 3")
CT
(cd "$tmp" && ctest -j2 > out.txt 2>&1)
sum=$(bash "$SRC/scripts/lib/ctest_summary.sh" normal "$tmp/out.txt" "$tmp/Testing/Temporary/LastTest.log"); rc=$?
echo "$sum"
check "the counts line" grep -qx 'normal: 1 passed, 1 failed, 1 skipped' <<<"$sum"
check "the skip reason names the fixtures and the test" \
    grep -Eq '^normal: skipped \(1\): .*fixtures not found.* — needs_fixtures$' <<<"$sum"
check "the failed test is named" grep -qx 'normal: failed: fails' <<<"$sum"
check "a failed test fails the summary" test "$rc" -ne 0

# the same without the failing test: exit 0, and the counts line is still the first line
sed -i '/fails/d' "$tmp/CTestTestfile.cmake"
rm -rf "$tmp/Testing"
(cd "$tmp" && ctest -j2 > out.txt 2>&1)
sum=$(bash "$SRC/scripts/lib/ctest_summary.sh" asan "$tmp/out.txt" "$tmp/Testing/Temporary/LastTest.log"); rc=$?
check "no failure: exit 0" test "$rc" -eq 0
check "first line is the counts" test "$(head -n 1 <<<"$sum")" = "asan: 1 passed, 0 failed, 1 skipped"

# scripts/test.sh ends with the counts lines, one per pass
check "test.sh prints the summaries last" grep -q 'printf .%s\\n. "\${summaries\[@\]}"' "$SRC/scripts/test.sh"
exit $fail
