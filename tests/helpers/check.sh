# tests/helpers/check.sh — sourced by shell tests: `check "what" command args...` counts a pass
# when the command succeeds, else a failure with "FAIL: what" on stderr. Callers end with their
# own summary from $passes and $fails.
fails=0 passes=0
check() {
    local what=$1; shift
    if "$@"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $what" >&2; fi
}
