#!/usr/bin/env bash
# scripts/lib/ctest_summary.sh — the closing line of one ctest pass, for scripts/test.sh:
#   <pass>: N passed, M failed, K skipped
# then, when tests were skipped, one line per reason with the tests it covers, e.g.
#   <pass>: skipped (2): SKIP: ../shared/fixtures not found ... — test_nms, test_parity
# Usage: ctest_summary.sh PASS CTEST_STDOUT LASTTEST_LOG
#   CTEST_STDOUT  what ctest printed (its "Test #n: name ... Passed|***Failed|***Skipped" lines)
#   LASTTEST_LOG  Testing/Temporary/LastTest.log of that build (each test's output: the reason a
#                 skipping test gave is its first line starting with "SKIP"; missing → "no reason given")
# Exit status: 0 when nothing failed, 1 otherwise (also when no test ran at all).
set -u
pass=$1 out=$2 log=$3

# name status pairs (status: Passed, Skipped, Failed, Timeout, Exception, Not — "***Not Run") from ctest's progress lines ("12/54 Test #13: test_h5io .....***Skipped  0.04 sec")
results=$(sed -nE 's/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: +([^ ]+) +\.* *(\*\*\*)?([A-Za-z]+).*/\1 \3/p' "$out")
passed=$(awk '$2 == "Passed"' <<<"$results" | grep -c . || true)
skipped=$(awk '$2 == "Skipped"' <<<"$results" | grep -c . || true)
failed=$(awk '$2 != "Passed" && $2 != "Skipped"' <<<"$results" | grep -c . || true)
printf '%s: %d passed, %d failed, %d skipped\n' "$pass" "$passed" "$failed" "$skipped"

if [ "$skipped" -gt 0 ]; then
    for name in $(awk '$2 == "Skipped" {print $1}' <<<"$results"); do
        reason=""
        [ -r "$log" ] && reason=$(awk -v t="$name" '
            $0 ~ /^[0-9]+\/[0-9]+ Test: / { cur = $3 }
            cur == t && /^SKIP/ { sub(/^SKIP:? */, ""); print; exit }' "$log")
        printf '%s\t%s\n' "${reason:-no reason given}" "$name"
    done | sort | awk -F '\t' -v p="$pass" '
        $1 != r { if (r != "") printf "%s: skipped (%d): %s — %s\n", p, n, r, list; r = $1; n = 0; list = "" }
        { n++; list = list (list == "" ? "" : ", ") $2 }
        END { if (r != "") printf "%s: skipped (%d): %s — %s\n", p, n, r, list }'
fi
for name in $(awk '$2 != "Passed" && $2 != "Skipped" {print $1}' <<<"$results"); do
    echo "$pass: failed: $name"
done
[ "$failed" -eq 0 ] && [ $((passed + skipped)) -gt 0 ]
