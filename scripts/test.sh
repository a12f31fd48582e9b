#!/usr/bin/env bash
# scripts/test.sh — the README's test command: install, build, run the fast test suite, then the
# parity tests on the direct conv kernel, the inference tests with oneDNN's ISA capped at AVX2, then
# the same tests again in an AddressSanitizer + UndefinedBehaviorSanitizer build. Every pass runs to its end; the script then prints one line per
# pass, "<pass>: N passed, M failed, K skipped" (scripts/lib/ctest_summary.sh), after the reasons the
# skipped tests gave, and exits 1 when any test failed.
# Set CPOSE_TEST_SLOW=1 to include tests labelled slow.
set -euo pipefail
cd "$(dirname "$0")/.."
label=(-LE slow)
[ "${CPOSE_TEST_SLOW:-0}" = 1 ] && label=()
summaries=()
status=0

# run_pass NAME BUILD_DIR [env assignments...] -- ctest arguments...
run_pass() {
    local name=$1 dir=$2
    shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    local out="$dir/Testing/ctest-$name.out"
    mkdir -p "$dir/Testing"
    (cd "$dir" && env "${envs[@]}" ctest --output-on-failure -j2 "$@") 2>&1 | tee "$out" || true
    local line
    line=$(bash scripts/lib/ctest_summary.sh "$name" "$out" "$dir/Testing/Temporary/LastTest.log") || status=1
    printf '%s\n' "$line" | tail -n +2   # the reasons for skips and the failed tests, after the pass
    summaries+=("$(printf '%s\n' "$line" | head -n 1)")
}

bash scripts/build.sh build >/dev/null
run_pass normal build -- "${label[@]}"
# the parity tests again on oneDNN's direct 3x3 kernel (the default is Winograd: core/nn/kernels.h)
run_pass direct build CPOSE_WINOGRAD=0 -- -R "^(test_parity|test_forward_nms|test_predict_e2e)$"
# the inference tests again with oneDNN's ISA capped at AVX2: on an AVX-512/VNNI machine, cpose then takes
# the path of a CPU without VNNI or bf16 (int8 on its stem, int16 Winograd and u8·s8 GEMM (its pair kernel) with u8 at 0..127;
# half=True falling back to float32), so CI checks both paths whatever CPU it runs on
run_pass avx2 build ONEDNN_MAX_CPU_ISA=AVX2 -- \
    -R "^(test_lowp|test_lowp_fixtures|test_parity|test_forward_nms|test_predict_e2e|test_stem|test_quant|test_gemm_int8|test_wino_int8|test_exec_views|test_exec_adapt|test_val_overlap|test_val_trained|cli_precision|lua_precision)$"

bash scripts/build.sh build-asan -DCPOSE_SANITIZE=ON >/dev/null
run_pass asan build-asan ASAN_OPTIONS=detect_leaks=0 -- -LE "slow|nosan"

echo
printf '%s\n' "${summaries[@]}"
exit "$status"
