"""Conversions between Python data and the (pointer, length) arrays of the C ABI.

Internal module. With numpy, inputs are passed zero-copy when they already are
C-contiguous arrays of the right dtype (float32, uint32, ...), and outputs are
numpy arrays the library wrote into directly. Without numpy (not installed,
``AISLE_NO_NUMPY=1`` in the environment, or :func:`aisle.use_numpy(False)`),
plain sequences are copied into ctypes arrays and results are lists.
"""

import os
from ctypes import POINTER, c_char_p, c_float, c_int32, c_int64, c_uint32, c_uint64, cast

from . import errors

_np_module = None
if os.environ.get("AISLE_NO_NUMPY", "") in ("", "0"):
    try:
        import numpy as _np_module
    except ImportError:  # numpy is optional
        _np_module = None

np = _np_module


def numpy_available():
    """True when numpy could be imported (whether or not it is in use)."""
    return _np_module is not None


def numpy_enabled():
    """True when results are numpy arrays and inputs may be passed zero-copy."""
    return np is not None


def use_numpy(enabled):
    """Turns the numpy path on or off at run time (off: plain lists).

    Turning it on raises FailedPrecondition when numpy is not importable.
    Returns the previous setting.
    """
    global np
    previous = np is not None
    if enabled:
        if _np_module is None:
            raise errors.FailedPrecondition(
                errors.FAILED_PRECONDITION,
                "numpy is not available (not installed, or AISLE_NO_NUMPY is set)",
            )
        np = _np_module
    else:
        np = None
    return previous


_CTYPE = {
    "float32": c_float,
    "uint32": c_uint32,
    "int32": c_int32,
    "int64": c_int64,
    "uint64": c_uint64,
}


def _bad(what, detail):
    return errors.InvalidArgument(errors.INVALID_ARGUMENT, "%s: %s" % (what, detail))


def vector(values, dtype, what="values"):
    """A 1-D input array: returns (pointer, count, keepalive).

    `values` may be None (NULL, 0), a numpy array or any sequence.
    """
    ctype = _CTYPE[dtype]
    if values is None:
        return None, 0, None
    if np is not None:
        try:
            arr = np.ascontiguousarray(values, dtype=dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise _bad(what, "cannot convert to %s: %s" % (dtype, e)) from None
        if arr.ndim != 1:
            raise _bad(what, "expected a 1-D array, got shape %s" % (arr.shape,))
        if arr.size == 0:
            return None, 0, arr
        return arr.ctypes.data_as(POINTER(ctype)), arr.size, arr
    try:
        seq = list(values)
        n = len(seq)
        buf = (ctype * n)(*seq)
    except (TypeError, ValueError, OverflowError) as e:
        raise _bad(what, "cannot convert to %s: %s" % (dtype, e)) from None
    if n == 0:
        return None, 0, buf
    return cast(buf, POINTER(ctype)), n, buf


def matrix(data, what="matrix"):
    """A 2-D row-major float32 input: returns (pointer, rows, cols, keepalive).

    numpy arrays that are float32 and C-contiguous are passed without a copy.
    Without numpy, `data` is a sequence of equal-length rows.
    """
    if np is not None:
        try:
            arr = np.ascontiguousarray(data, dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise _bad(what, "cannot convert to float32: %s" % e) from None
        if arr.ndim != 2:
            raise _bad(what, "expected a 2-D array (rows x columns), got shape %s" % (arr.shape,))
        rows, cols = arr.shape
        ptr = arr.ctypes.data_as(POINTER(c_float)) if arr.size else None
        return ptr, rows, cols, arr
    rows_list = [list(r) for r in data]
    rows = len(rows_list)
    cols = len(rows_list[0]) if rows else 0
    flat = []
    for i, r in enumerate(rows_list):
        if len(r) != cols:
            raise _bad(what, "row %d has %d values, row 0 has %d" % (i, len(r), cols))
        flat.extend(r)
    try:
        buf = (c_float * len(flat))(*flat)
    except TypeError as e:
        raise _bad(what, "cannot convert to float32: %s" % e) from None
    return (cast(buf, POINTER(c_float)) if flat else None), rows, cols, buf


class Output:
    """A buffer the library writes `n` values of `dtype` into."""

    __slots__ = ("buf", "ptr", "n", "dtype")

    def __init__(self, n, dtype):
        ctype = _CTYPE[dtype]
        self.n = n
        self.dtype = dtype
        if np is not None:
            self.buf = np.empty(n, dtype=dtype)
            self.ptr = self.buf.ctypes.data_as(POINTER(ctype))
        else:
            self.buf = (ctype * max(n, 1))()
            self.ptr = cast(self.buf, POINTER(ctype))

    def result(self, count=None, shape=None):
        """The first `count` values as an ndarray (reshaped) or a list (nested)."""
        count = self.n if count is None else count
        if np is not None:
            out = self.buf[:count]
            return out.reshape(shape) if shape is not None else out
        flat = self.buf[:count]
        if shape is not None and len(shape) == 2:
            rows, cols = shape
            return [flat[r * cols : (r + 1) * cols] for r in range(rows)]
        return flat


def copy_borrowed(ptr, n, dtype):
    """Copies `n` values from a borrowed C pointer into an ndarray or a list."""
    if n == 0 or not ptr:
        return np.empty(0, dtype=dtype) if np is not None else []
    if np is not None:
        return np.ctypeslib.as_array(ptr, shape=(n,)).copy()
    return ptr[:n]


def encode(s, what="string"):
    """A Python str (or bytes, or None) as NUL-terminated UTF-8 bytes for C."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    if not isinstance(s, str):
        raise _bad(what, "expected str, got %s" % type(s).__name__)
    if "\x00" in s:
        raise _bad(what, "contains a NUL character: %r" % s)
    return s.encode("utf-8")


def decode(b):
    """C string bytes (or None) as str."""
    return b.decode("utf-8", "replace") if b else ""


def strings(values, what="ids"):
    """A list of strings as (const char* const*, count, keepalive)."""
    if values is None:
        return None, 0, None
    if isinstance(values, (str, bytes)):
        raise _bad(what, "expected a list of strings, got a single string %r" % (values,))
    enc = [encode(v, what) for v in values]
    arr = (c_char_p * max(len(enc), 1))(*enc)
    return arr, len(enc), (arr, enc)
