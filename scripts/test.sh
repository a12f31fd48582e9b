#!/usr/bin/env bash
# scripts/test.sh — the README's test command: install, build, run the fast test suite, then the
# parity tests on the direct conv kernel, then the same tests again in an AddressSanitizer +
# UndefinedBehaviorSanitizer build.
# Set CPOSE_TEST_SLOW=1 to include tests labelled slow.
set -euo pipefail
cd "$(dirname "$0")/.."
label=(-LE slow)
[ "${CPOSE_TEST_SLOW:-0}" = 1 ] && label=()

bash scripts/build.sh build >/dev/null
(cd build && ctest --output-on-failure -j2 "${label[@]}")
# the parity tests again on oneDNN's direct 3x3 kernel (the default is Winograd: core/nn/kernels.h)
(cd build && CPOSE_WINOGRAD=0 ctest --output-on-failure -j2 -R "^(test_parity|test_forward_nms|test_predict_e2e)$")

bash scripts/build.sh build-asan -DCPOSE_SANITIZE=ON >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j2 -LE "slow|nosan")
