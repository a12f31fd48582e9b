#!/usr/bin/env bash
# scripts/mutants.sh — a mutation run: applies each mutation of scripts/mutants.txt, one at a time,
# to a scratch copy of the tree, rebuilds it (ccache), runs the tests the mutation names (default
# the fast suite, `ctest -LE slow`) and prints the mutations no test caught (the survivors).
#
#   bash scripts/mutants.sh [LIST] [NAME-REGEX]      # LIST defaults to scripts/mutants.txt
#
# LIST format, one mutation per line ('#' starts a comment line), fields separated by " | ":
#   name | file | text | replacement [| ctest -R regex]
# `text` is a literal string that must occur exactly once in `file` (a mutation whose text is gone
# or ambiguous is reported as STALE: fix the list); it is replaced by `replacement` (literal).
# NAME-REGEX runs only the mutations whose name matches.
# The scratch copy lives in $CPOSE_MUTANTS_DIR (default /tmp/cpose-mutants: kept between runs so
# rebuilds are incremental); the fixtures are linked beside it as ../shared, where tests look.
# Exit status: 0 when every mutation was killed, 1 when any survived, was stale or did not build.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
list=${1:-$repo/scripts/mutants.txt}
only=${2:-}
scratch=${CPOSE_MUTANTS_DIR:-/tmp/cpose-mutants}
src=$scratch/src
jobs=${CPOSE_MUTANTS_JOBS:-2}
[ -f "$list" ] || { echo "mutants: $list: no such list" >&2; exit 2; }

# 1. the scratch copy: tracked and untracked-but-not-ignored files, copied only when they differ
#    (unchanged files keep their times, so make rebuilds only what changed since the last run)
mkdir -p "$src"
if [ -d "$repo/../shared" ] && [ ! -e "$scratch/shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$scratch/shared"; fi
(cd "$repo" && git ls-files -co --exclude-standard -z) | while IFS= read -r -d '' f; do
    [ -f "$repo/$f" ] || continue
    if ! cmp -s "$repo/$f" "$src/$f"; then mkdir -p "$(dirname "$src/$f")"; cp -p "$repo/$f" "$src/$f"; fi
done
build=$src/build
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
echo "mutants: building the unmutated copy in $build"
cmake --build "$build" -j"$jobs" >"$scratch/build.log" 2>&1 || { echo "mutants: the unmutated tree does not build (see $scratch/build.log)" >&2; exit 2; }

# 2. each mutation
survivors=() stale=() unbuilt=() killed=0
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '#'* | '') continue ;; esac
    rest=$line fields=()
    while [[ $rest == *" | "* ]]; do fields+=("${rest%%" | "*}"); rest=${rest#*" | "}; done
    fields+=("$rest")
    if [ "${#fields[@]}" -lt 4 ]; then echo "mutants: bad line (need name | file | text | replacement): $line" >&2; stale+=("$line"); continue; fi
    name=$(trim "${fields[0]}") file=$(trim "${fields[1]}") text=${fields[2]} repl=${fields[3]} tests=$(trim "${fields[4]:-}")
    text=$(trim "$text") repl=$(trim "$repl")
    [ -n "$only" ] && ! [[ $name =~ $only ]] && continue
    target=$src/$file
    count=0
    [ -f "$target" ] && count=$(TEXT=$text perl -0777 -ne '$n = () = /\Q$ENV{TEXT}\E/g; print $n' "$target")
    if [ "$count" != 1 ]; then
        echo "STALE     $name: '$text' occurs $count times in $file"
        stale+=("$name")
        continue
    fi
    cp -p "$target" "$scratch/original"
    TEXT=$text REPL=$repl perl -0777 -pi -e 's/\Q$ENV{TEXT}\E/$ENV{REPL}/' "$target"
    # build only what the named tests run: their test programs and the cpose binary (all without a list)
    targets=()
    if [ -n "$tests" ]; then
        targets=(--target cpose_cli)
        while IFS= read -r t; do [[ $t == test_* ]] && targets+=("$t"); done < <(cd "$build" && ctest -N -R "$tests" | sed -n 's/^ *Test *#[0-9]*: *//p')
    fi
    if ! cmake --build "$build" -j"$jobs" "${targets[@]}" >"$scratch/build.log" 2>&1; then
        echo "NOBUILD   $name (see $scratch/build.log)"
        unbuilt+=("$name")
    else
        sel=(-LE slow)
        [ -n "$tests" ] && sel=(-R "$tests")
        if (cd "$build" && ctest -j"$jobs" --timeout 900 "${sel[@]}" >"$scratch/ctest-$name.log" 2>&1); then
            echo "SURVIVED  $name ($file: '$text' → '$repl'; tests ${tests:--LE slow})"
            survivors+=("$name")
        else
            failed=$(grep -E '^\s+[0-9]+ - ' "$scratch/ctest-$name.log" | sed -E 's/^\s+[0-9]+ - ([^ ]+).*/\1/' | tr '\n' ' ')
            echo "killed    $name by: $failed"
            killed=$((killed + 1))
        fi
    fi
    cp -p "$scratch/original" "$target"
    touch "$target" # the restored file must rebuild even though its saved time is older than the object
done <"$list"

echo "mutants: $killed killed, ${#survivors[@]} survived, ${#stale[@]} stale, ${#unbuilt[@]} did not build"
[ "${#survivors[@]}" -eq 0 ] || echo "survivors: ${survivors[*]}"
[ "${#stale[@]}" -eq 0 ] || echo "stale: ${stale[*]}"
[ "${#unbuilt[@]}" -eq 0 ] || echo "did not build: ${unbuilt[*]}"
[ "${#survivors[@]}" -eq 0 ] && [ "${#stale[@]}" -eq 0 ] && [ "${#unbuilt[@]}" -eq 0 ]
