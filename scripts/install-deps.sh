#!/usr/bin/env bash
# Installs the Debian 12 packages aisle needs to build, test and benchmark,
# skipping what is already installed. Run as root (or through sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libhnswlib-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler
  libxxhash-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # peers measured side by side in benchmarks and parity fixtures
  libxgboost-dev python3-xgboost libfaiss-dev
  # Python package and its tests
  python3 python3-numpy python3-pytest python3-sklearn python3-pip python3-venv
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
