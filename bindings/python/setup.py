"""Installs the pure-Python `aisle` package (ctypes bindings over libaisle).

Offline with Debian's pip (no build isolation is needed: there is no
pyproject.toml build-system table, and setuptools + wheel come from Debian):

    python3 -m venv --system-site-packages /tmp/venv
    /tmp/venv/bin/pip install ./bindings/python
    AISLE_LIBRARY=$PWD/build/capi/libaisle.so /tmp/venv/bin/python -c "import aisle"

or `pip install --no-build-isolation --no-deps --target <dir> ./bindings/python`.
A libaisle.so* copied into bindings/python/aisle/ before installing is
shipped inside the package and found without AISLE_LIBRARY.
"""

from setuptools import setup

setup(
    name="aisle",
    version="0.1.0",
    description="In-process e-commerce recommendations: ctypes bindings for libaisle",
    long_description=__doc__,
    license="Apache-2.0",
    packages=["aisle"],
    package_data={"aisle": ["libaisle.so*", "py.typed"]},
    python_requires=">=3.8",
    install_requires=[],
    extras_require={"numpy": ["numpy"]},
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
    ],
)
