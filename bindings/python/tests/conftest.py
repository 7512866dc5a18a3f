"""pytest setup for the aisle package tests.

The package is imported from the source tree (bindings/python) unless
AISLE_TEST_INSTALLED=1 (then whatever `import aisle` finds). The library is
found as the package finds it: set AISLE_LIBRARY=<build>/capi/libaisle.so
(scripts/test-python.sh does).
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PKG_ROOT))

if os.environ.get("AISLE_TEST_INSTALLED") != "1":
    sys.path.insert(0, PKG_ROOT)

import aisle  # noqa: E402

SHARED_DATA = os.environ.get(
    "AISLE_SHARED_DATA_DIR", os.path.join(os.path.dirname(REPO), "shared", "data")
)
RANKING_FIXTURES = os.path.join(REPO, "tests", "data", "ranking")


@pytest.fixture(params=["numpy", "lists"])
def array_path(request):
    """Runs a test once with numpy results/inputs and once with plain lists."""
    if request.param == "numpy" and not aisle.numpy_available():
        pytest.skip("numpy is not installed; the numpy path is not tested")
    previous = aisle.use_numpy(request.param == "numpy")
    yield request.param
    aisle.use_numpy(previous)


def tolist(x):
    """ndarray or list (possibly nested) -> nested Python lists of floats/ints."""
    return x.tolist() if hasattr(x, "tolist") else list(x)
