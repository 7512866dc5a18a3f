"""Conversions between Python data and the (pointer, length) arrays of the C ABI.

Internal module. With numpy, inputs are passed zero-copy when they already are
C-contiguous arrays of the right dtype (float32, uint32, ...), and outputs are
numpy arrays the library wrote into directly. Without numpy (not installed,
``AISLE_NO_NUMPY=1`` in the environment, or :func:`aisle.use_numpy(False)`),
plain sequences are copied into ctypes arrays and results are lists.

Integer arrays are range-checked before conversion (numpy's casts and ctypes'
arrays both wrap silently: -1 as a uint32 item index is 4294967295), and so
are strings: a NUL would cut a C string short, and the C ABI takes UTF-8.
"""

import os
from ctypes import POINTER, c_char_p, c_float, c_int32, c_int64, c_uint32, c_uint64, cast

from . import _ints, errors

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


_INT_BOUNDS = {
    "uint32": _ints.UINT32,
    "int32": _ints.INT32,
    "int64": _ints.INT64,
    "uint64": _ints.UINT64,
}


def _bad(what, detail):
    return errors.InvalidArgument(errors.INVALID_ARGUMENT, "%s: %s" % (what, detail))


def _checked_list(values, what, lo, hi):
    """A sequence of integers in [lo, hi] as a list of ints (else the error
    names the first bad entry, "what[i] = v ...")."""
    out = list(values)
    for i, v in enumerate(out):
        if type(v) is not int or v < lo or v > hi:
            out[i] = _ints.checked(v, "%s[%d]" % (what, i), lo, hi)
    return out


def _checked_ints(values, dtype, lo, hi, what, whole_dtype=True):
    """`values` for an integer array of `dtype`, refused if any entry is not
    an integer in [lo, hi] (numpy would cast it silently). `whole_dtype`:
    [lo, hi] is the dtype's range, so an array of that dtype is fine as is."""
    if whole_dtype and isinstance(values, np.ndarray) and values.dtype == dtype:
        return values  # nothing to convert, nothing can wrap
    try:
        src = np.asarray(values)
    except (TypeError, ValueError, OverflowError) as e:
        raise _bad(what, "cannot convert to %s: %s" % (dtype, e)) from None
    if src.ndim != 1 or src.size == 0:
        return src  # vector() reports the shape
    if src.dtype.kind in "iu":
        if int(src.min()) >= lo and int(src.max()) <= hi:
            return src
        return np.asarray(_checked_list(src.tolist(), what, lo, hi))  # raises, naming the entry
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        raise errors.InvalidArgumentType(
            errors.INVALID_ARGUMENT,
            "%s: expected integers, got an array of %s" % (what, values.dtype),
        )
    # A sequence numpy could not type as integers (floats, bools, ints past
    # 64 bits, ...): entry by entry, naming the first bad one.
    return np.asarray(_checked_list(values, what, lo, hi), dtype=dtype)


def vector(values, dtype, what="values", limits=None):
    """A 1-D input array: returns (pointer, count, keepalive).

    `values` may be None (NULL, 0), a numpy array or any sequence. Integer
    dtypes refuse entries that are not integers or do not fit the dtype (or
    `limits`, a narrower (lo, hi)), naming the first as ``what[i]``.
    """
    ctype = _CTYPE[dtype]
    if values is None:
        return None, 0, None
    bounds = limits or _INT_BOUNDS.get(dtype)
    if np is not None:
        if bounds is not None:
            values = _checked_ints(values, dtype, bounds[0], bounds[1], what, limits is None)
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
    except TypeError as e:
        raise _bad(what, "cannot convert to %s: %s" % (dtype, e)) from None
    if bounds is not None:
        seq = _checked_list(seq, what, bounds[0], bounds[1])
    try:
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


def _name(what, index):
    return what if index is None else "%s[%d]" % (what, index)


def encode(s, what="string", index=None):
    """A Python str (or UTF-8 bytes, or None) as NUL-terminated UTF-8 for C.

    Refused, with InvalidArgument naming `what` (``what[index]`` for an entry
    of a list): a NUL (C would see the string end there), a str that has no
    UTF-8 form (a lone surrogate such as "\\udc80", which os.fsdecode makes
    of undecodable bytes), bytes that are not valid UTF-8, and anything that
    is neither str nor bytes.
    """
    if type(s) is str:
        try:
            b = s.encode("utf-8")
        except UnicodeEncodeError as e:
            raise _bad(
                _name(what, index),
                "cannot be encoded as UTF-8: %s U+%04X at position %d"
                % ("lone surrogate" if 0xD800 <= ord(s[e.start]) <= 0xDFFF else "character",
                   ord(s[e.start]), e.start),
            ) from None
        if b"\x00" in b:
            raise _bad(_name(what, index), "contains a NUL byte at position %d" % s.index("\x00"))
        return b
    if s is None:
        return None
    if isinstance(s, str):  # a subclass of str
        return encode(str(s), what, index)
    if isinstance(s, (bytes, bytearray, memoryview)):
        b = bytes(s)
        if b"\x00" in b:
            raise _bad(_name(what, index), "contains a NUL byte at position %d" % b.index(b"\x00"))
        try:
            b.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _bad(
                _name(what, index),
                "is not valid UTF-8: byte 0x%02X at position %d" % (b[e.start], e.start),
            ) from None
        return b
    raise _bad(_name(what, index), "expected str, got %s" % type(s).__name__)


def path(p, what="path"):
    """A filesystem path (str, bytes or os.PathLike) as bytes for C: the
    file system's encoding (os.fsencode), so any name the OS gave works; a
    NUL is refused."""
    try:
        b = os.fsencode(p)
    except (TypeError, UnicodeEncodeError) as e:
        raise _bad(what, "not a usable path: %s" % e) from None
    if b"\x00" in b:
        raise _bad(what, "contains a NUL byte at position %d" % b.index(b"\x00"))
    return b


def decode(b):
    """C string bytes (or None) as str."""
    return b.decode("utf-8", "replace") if b else ""


def strings(values, what="ids"):
    """A list of strings as (const char* const*, count, keepalive); every
    entry is checked as by encode(), errors naming ``what[i]``."""
    if values is None:
        return None, 0, None
    if isinstance(values, (str, bytes)):
        raise _bad(what, "expected a list of strings, got a single string %r" % (values,))
    enc = []
    for i, v in enumerate(values):
        if v is None:
            raise _bad(_name(what, i), "expected str, got None")
        enc.append(encode(v, what, i))
    arr = (c_char_p * max(len(enc), 1))(*enc)
    return arr, len(enc), (arr, enc)
