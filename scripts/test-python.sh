#!/usr/bin/env bash
# Tests the Python package against an existing build (it builds nothing):
#   bash scripts/test-python.sh <build-dir>
# 1. pytest (Debian's python3-pytest under /usr/bin/python3) on
#    bindings/python/tests with AISLE_LIBRARY=<build-dir>/capi/libaisle.so;
#    "no tests collected" (exit code 5) is a failure, like any other;
# 2. the package installs offline with pip (no build isolation, no network)
#    into a temporary directory, and that installed copy imports and serves;
# 3. examples/python/storefront.py runs to completion.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

BUILD="${1:?usage: scripts/test-python.sh <build-dir>}"
BUILD="$(cd "$BUILD" && pwd)"
LIB="$BUILD/capi/libaisle.so"
PY=/usr/bin/python3

if [[ ! -f "$LIB" ]]; then
  echo "test-python: FAILED: $LIB not found (build the aisle_c target first)" >&2
  exit 1
fi
if ! "$PY" -c "import pytest" 2>/dev/null; then
  echo "test-python: FAILED: pytest is not importable by $PY (apt-get install python3-pytest)" >&2
  exit 1
fi
export AISLE_LIBRARY="$LIB"
export PYTHONDONTWRITEBYTECODE=1

echo "-- pytest (library $LIB)"
set +e
"$PY" -m pytest -q -p no:cacheprovider "$ROOT/bindings/python/tests" -rs
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "test-python: FAILED: pytest collected no tests" >&2
  exit 1
elif [[ $rc -ne 0 ]]; then
  echo "test-python: FAILED: pytest exit code $rc" >&2
  exit "$rc"
fi

echo "-- pip install (offline, no build isolation) and import of the installed copy"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cp -r "$ROOT/bindings/python" "$TMP/src"   # keep build/ and egg-info out of the tree
rm -rf "$TMP/src/build" "$TMP/src"/*.egg-info
PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$PY" -m pip install -q --no-build-isolation --no-deps --no-index --target "$TMP/site" \
  "$TMP/src"
(cd "$TMP" && PYTHONPATH="$TMP/site" "$PY" -c '
import aisle, os, sys
assert os.path.dirname(aisle.__file__) == os.path.join(sys.argv[1], "aisle"), aisle.__file__
with aisle.Catalog.synthetic(100, dim=4, seed=1) as c:
    assert c.item_id(7) == "sku-0000007"
print("installed package OK:", aisle.__file__, "->", aisle.library_path)
' "$TMP/site")

echo "-- examples/python/storefront.py"
(cd "$TMP" && PYTHONPATH="$ROOT/bindings/python" "$PY" "$ROOT/examples/python/storefront.py")

echo "test-python: all passed"
