#!/usr/bin/env bash
# scripts/build.sh — installs what is missing (scripts/setup.sh) and builds cpose into build/
# (or into $1, with extra CMake arguments after it). Prints the path of the cpose binary last.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" >&2
echo "$dir/cpose"
