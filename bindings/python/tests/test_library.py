"""Loading, ABI check, declarations, errors, and the numpy-free path."""

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import warnings

import pytest

import aisle
from aisle import _lib, errors
from conftest import PKG_ROOT, REPO


def run_python(code, **env):
    full = dict(os.environ)
    full.update(env)
    full["PYTHONPATH"] = PKG_ROOT + os.pathsep + full.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)


def test_versions():
    assert aisle.abi_version() == aisle.ABI_VERSION == 1
    assert aisle.library_version().count(".") == 2
    assert os.path.exists(aisle.library_path)


def test_every_bound_function_is_exported_and_declared():
    with open(os.path.join(REPO, "capi", "exported_symbols.txt")) as f:
        exported = {line.strip() for line in f if line.strip()}
    declared = set(_lib.DECLARED)
    assert declared <= exported, "bound but not exported: %s" % sorted(declared - exported)
    assert not _lib.missing, "declared but missing from the library: %s" % _lib.missing
    for name in declared:
        fn = getattr(_lib.lib, name)
        assert fn.argtypes is not None or name in (
            "aisle_version", "aisle_abi_version", "aisle_last_error_message"), name
    unbound = sorted(exported - declared)
    if unbound:
        warnings.warn("C functions without a Python binding: %s" % unbound)


def test_status_and_enum_names_agree_with_the_library():
    for code, name in errors._NAMES.items():
        assert aisle.status_name(code) == name
    for level in aisle.FallbackLevel:
        assert aisle.fallback_level_name(level) == level.name.lower()
    for reason in aisle.FallbackReason:
        assert aisle.fallback_reason_name(reason) == reason.name.lower()
    for tier in aisle.Tier:
        assert aisle.tier_name(tier) == tier.name.lower()


def test_error_classes_carry_code_and_message():
    for code in range(1, 16):
        e = errors.error_for(code, "boom")
        assert isinstance(e, aisle.AisleError)
        assert type(e).CODE == code and e.code == code and e.message == "boom"
        assert e.code_name == aisle.status_name(code)
        assert str(e) == "%s: boom" % e.code_name
    assert isinstance(errors.error_for(3, ""), ValueError)
    assert isinstance(errors.error_for(5, ""), LookupError)
    assert type(errors.error_for(99, "x")) is aisle.AisleError
    with pytest.raises(aisle.NotFound) as e:
        with aisle.Catalog.synthetic(3) as c:
            c.find("nope")
    assert e.value.message == "item id 'nope' not found" or "nope" in e.value.message


def test_enum_coercion_errors_list_the_choices():
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.AnnIndex.build([[1.0]], metric="hamming")
    assert "hamming" in e.value.message and "cosine" in e.value.message


def test_library_not_found_is_a_clear_import_error(tmp_path):
    r = run_python("import aisle", AISLE_LIBRARY=str(tmp_path / "libnope.so"))
    assert r.returncode != 0
    assert "LibraryNotFoundError" in r.stderr and "AISLE_LIBRARY" in r.stderr


def test_a_library_without_the_abi_function_is_rejected():
    libc = ctypes.util.find_library("c")
    if not libc:
        pytest.skip("libc not found by find_library")
    r = run_python("import aisle", AISLE_LIBRARY=libc)
    assert r.returncode != 0
    assert "AbiMismatchError" in r.stderr and "aisle_abi_version" in r.stderr


def test_abi_version_mismatch_is_rejected(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a fake library")
    src = tmp_path / "fake.c"
    src.write_text("int aisle_abi_version(void) { return 2; }\n")
    so = tmp_path / "libfake.so"
    subprocess.run([cc, "-shared", "-fPIC", str(src), "-o", str(so)], check=True)
    r = run_python("import aisle", AISLE_LIBRARY=str(so))
    assert r.returncode != 0
    assert "AbiMismatchError" in r.stderr
    assert "ABI version 2" in r.stderr and "ABI version 1" in r.stderr


def test_library_found_next_to_the_package(tmp_path):
    pkg = tmp_path / "aisle"
    shutil.copytree(os.path.join(PKG_ROOT, "aisle"), pkg,
                    ignore=shutil.ignore_patterns("__pycache__", "libaisle*"))
    shutil.copy(aisle.library_path, pkg / "libaisle.so")
    env = dict(os.environ)
    env.pop("AISLE_LIBRARY", None)
    env["PYTHONPATH"] = str(tmp_path)
    r = subprocess.run([sys.executable, "-c", "import aisle; print(aisle.library_path)"],
                       env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(pkg / "libaisle.so")


def test_without_numpy_everything_is_lists():
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import aisle\n"
        "assert not aisle.numpy_available() and not aisle.numpy_enabled()\n"
        "c = aisle.Catalog.synthetic(50, dim=4, seed=1)\n"
        "e = c.embedding(3); assert type(e) is list and len(e) == 4, e\n"
        "idx = aisle.AnnIndex.from_catalog(c)\n"
        "r = idx.search(e, k=3); assert type(r.items) is list and r.items[0] == 3, r\n"
        "try:\n"
        "    aisle.use_numpy(True)\n"
        "    raise SystemExit('use_numpy(True) should fail')\n"
        "except aisle.FailedPrecondition:\n"
        "    pass\n"
        "print('ok')\n"
    )
    r = run_python(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    r = run_python("import aisle; print(aisle.numpy_enabled())", AISLE_NO_NUMPY="1")
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


def test_last_error_message_is_per_call():
    with pytest.raises(aisle.NotFound) as first:
        with aisle.Catalog.synthetic(3) as c:
            c.find("first-missing")
    with pytest.raises(aisle.NotFound) as second:
        with aisle.Catalog.synthetic(3) as c:
            c.find("second-missing")
    assert "first-missing" in first.value.message
    assert "second-missing" in second.value.message
