#!/usr/bin/env bash
# scripts/test.sh — the README's test command: install, build, run the fast test suite, then the
# same tests again in an AddressSanitizer + UndefinedBehaviorSanitizer build.
# Set CPOSE_TEST_SLOW=1 to include tests labelled slow.
set -euo pipefail
cd "$(dirname "$0")/.."
label=(-LE slow)
[ "${CPOSE_TEST_SLOW:-0}" = 1 ] && label=()

bash scripts/build.sh build >/dev/null
(cd build && ctest --output-on-failure -j2 "${label[@]}")

bash scripts/build.sh build-asan -DCPOSE_SANITIZE=ON >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j2 -LE "slow|nosan")
