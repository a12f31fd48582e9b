#!/usr/bin/env bash
# scripts/fuzz.sh [seconds] — builds the libFuzzer targets (clang, -DCPOSE_FUZZ=ON, in build-fuzz/) and
# runs each for the given time (default 60) one after the other at the lowest priority, keeping its
# corpus in build-fuzz/tests/fuzz/corpus/<target>. Seeds come from fuzz_seeds (cpose's own writers).
# Prints CPU seconds per target; a crash leaves build-fuzz/tests/fuzz/crash-<target>-* and exits 1.
# Env: FUZZ_TARGETS="fuzz_labels fuzz_coco_json" to run a subset.
set -u
secs=${1:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
bld=${FUZZ_BUILD_DIR:-$src/build-fuzz}
# the fuzz build's own packages (not needed by the normal build and tests, so not in setup.sh)
if ! command -v clang >/dev/null || [ ! -x /usr/bin/time ] || ! dpkg-query -W -f='${Status}' libomp-14-dev 2>/dev/null | grep -q "ok installed"; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang libomp-14-dev time >/dev/null ||
    { echo "fuzz.sh: clang, libomp-14-dev and time are needed (apt-get install clang libomp-14-dev time)"; exit 2; }
fi
CC=clang CXX=clang++ cmake -S "$src" -B "$bld" -DCPOSE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
targets=${FUZZ_TARGETS:-$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//' | grep -v '^fuzz_seeds$')}
nice -n 19 cmake --build "$bld" -j2 --target fuzz_seeds $targets >/dev/null || exit 2
out=$bld/tests/fuzz
CPOSE_SOURCE_DIR=$src "$out/fuzz_seeds" "$out/seeds" || exit 2
status=0
for t in $targets; do
  mkdir -p "$out/corpus/$t"
  /usr/bin/time -f "%U %S" -o "$out/$t.time" env ASAN_OPTIONS=detect_leaks=0 nice -n 19 "$out/$t" \
      -max_total_time="$secs" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$out/crash-$t-" "$out/corpus/$t" "$out/seeds/$t" >"$out/$t.log" 2>&1
  rc=$?
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$out/$t.time" 2>/dev/null)
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$')
  if [ $rc -eq 0 ]; then
    echo "$t: ${cpu:-?} CPU s, ${runs:-?} inputs, no crash"
  else
    echo "$t: CRASH after ${cpu:-?} CPU s (exit $rc) — see $out/$t.log and $out/crash-$t-*"
    status=1
  fi
done
exit $status
