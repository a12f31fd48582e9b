#!/usr/bin/env bash
# scripts/setup.sh — installs the Debian packages cpose builds and tests with (only what is missing).
# Usage: bash scripts/setup.sh   (as root, or with sudo available)
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  libopencv-imgcodecs-dev libopencv-imgproc-dev
  libdnnl-dev libhdf5-dev hdf5-tools
  liblua5.4-dev lua5.4
  libcjson-dev libyajl-dev libyaml-dev libxml2-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev zlib1g-dev
  nginx-light zip unzip bzip2 xz-utils python3
  gcovr
  python3-onnx python3-opencv
  flatbuffers-compiler
  python3-numpy python3-pyarmnn libarmnntfliteparser22 libarmnn-cpuref-backend22
  zlib1g-dev python3-torch python3-h5py python3-yaml
  libopenmpi-dev openmpi-bin
)

# Node.js with npm runs the ONNX Runtime checks (onnxruntime-node, installed by tests/helpers/ort_setup.sh):
# Debian's packages only where no node/npm is on PATH already (a NodeSource nodejs brings its own npm,
# and Debian's npm package would conflict with it).
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all packages present"
