#!/usr/bin/env bash
# The first of the README's two commands: installs what is missing, builds
# aisle (Release) and runs the main job, a storefront simulation that serves
# recommendations from aisle's built-in synthetic catalog and prints results
# and timings.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"
exec build/examples/storefront/aisle_storefront "$@"
