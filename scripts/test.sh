#!/usr/bin/env bash
# The second of the README's two commands: installs what is missing, then
# builds and runs every test:
#   1. Release build with warnings as errors (library, tests, examples and
#      benchmarks), then every test: unit tests and the examples' smoke runs;
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# .ci/run runs exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="$(nproc)"

scripts/install-deps.sh

echo "== Release build (warnings are errors)"
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DAISLE_WERROR=ON
cmake --build build-ci -j "$JOBS"
(cd build-ci && ctest --output-on-failure -j "$JOBS")

# The Python package (pytest, under Debian's /usr/bin/python3) and the
# installed package with out-of-tree consumers (C++ via find_package, C
# statically linked, pkg-config) run against the Release build.
echo "== Python package"
bash scripts/test-python.sh build-ci
echo "== Install and out-of-tree consumers"
bash scripts/test-install.sh build-ci

echo "== ASan + UBSan build"
# -O1 with line tables only: enough for readable sanitizer reports, and the
# cheapest build that keeps the tests quick.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" \
  -DAISLE_SANITIZE=ON -DAISLE_WERROR=ON -DAISLE_BUILD_BENCHMARKS=OFF -DAISLE_BUILD_EXAMPLES=OFF
cmake --build build-asan -j "$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$JOBS")
