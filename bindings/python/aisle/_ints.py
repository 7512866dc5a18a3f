"""Integer arguments, checked before they reach ctypes.

Internal module. ctypes converts a Python int to a C integer by truncation:
2**32 + 3 becomes 3 as a uint32_t, 2**31 a negative int32_t, -1 a size_t of
2**64 - 1, and a float raises or truncates depending on where it goes. Every
integer the package hands to C goes through :func:`checked` first, either in
the high-level classes (with the Python parameter name and the library's
semantic range) or, as a backstop, in the wrappers of ``_lib`` (with the C
parameter name and the range of its C type).

An integer is a Python int or anything with ``__index__`` (numpy integers,
IntEnum members); floats, strings and None are refused (never truncated),
and so is a bool except where the C parameter is a ``uint8_t`` flag.
"""

import operator

#: Ranges of the C integer types the ABI uses, by ctypes type name.
INT32 = (-(2**31), 2**31 - 1)
UINT32 = (0, 2**32 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT64 = (0, 2**64 - 1)
UINT8 = (0, 255)


def _error(cls_name, message):
    from . import errors  # noqa: PLC0415 (errors imports _lib, which imports this module)

    cls = getattr(errors, cls_name)
    return cls(errors.INVALID_ARGUMENT if cls_name != "OutOfRange" else errors.OUT_OF_RANGE,
               message)


def as_int(value, where, allow_bool=False):
    """`value` as a Python int, or InvalidArgumentType naming `where`."""
    if type(value) is int:
        return value
    if isinstance(value, bool) and not allow_bool:
        raise _error("InvalidArgumentType",
                     "%s = %r: expected an integer, not a bool" % (where, value))
    try:
        return operator.index(value)
    except TypeError:
        raise _error(
            "InvalidArgumentType",
            "%s = %r: expected an integer, got %s" % (where, value, type(value).__name__),
        ) from None


def checked(value, where, lo, hi, allow_bool=False, error="InvalidArgument"):
    """`value` as an int in [lo, hi]; otherwise an error (InvalidArgument, or
    `error`) reading "<where> = <value> is outside [<lo>, <hi>]"."""
    v = value if type(value) is int else as_int(value, where, allow_bool)
    if v < lo or v > hi:
        raise _error(error, "%s = %d is outside [%d, %d]" % (where, v, lo, hi))
    return v


def index(value, where, hi=UINT32[1]):
    """An index into something (item, column, ...): OutOfRange outside [0, hi]."""
    return checked(value, where, 0, hi, error="OutOfRange")
