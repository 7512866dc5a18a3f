"""Exceptions raised by the aisle package.

Every failing C call becomes an :class:`AisleError` subclass chosen by its
status code (the canonical absl codes, as in ``capi/aisle.h``), carrying the
``code`` and the library's ``message`` (which names the file, line, field,
item id or feature at fault)::

    try:
        catalog.find("no-such-sku")
    except aisle.NotFound as e:
        print(e.code, e.code_name, e.message)

Some subclasses also derive from the matching built-in exception
(``InvalidArgument`` is a ``ValueError``, ``NotFound`` a ``LookupError``,
``OutOfRange`` an ``IndexError``; ``InvalidArgumentType``, raised for a float
or a str where an integer is expected, is an ``InvalidArgument`` and a
``TypeError``) so generic handlers keep working.
"""

from . import _lib

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15

_NAMES = {
    OK: "OK",
    CANCELLED: "CANCELLED",
    UNKNOWN: "UNKNOWN",
    INVALID_ARGUMENT: "INVALID_ARGUMENT",
    DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
    NOT_FOUND: "NOT_FOUND",
    ALREADY_EXISTS: "ALREADY_EXISTS",
    PERMISSION_DENIED: "PERMISSION_DENIED",
    RESOURCE_EXHAUSTED: "RESOURCE_EXHAUSTED",
    FAILED_PRECONDITION: "FAILED_PRECONDITION",
    ABORTED: "ABORTED",
    OUT_OF_RANGE: "OUT_OF_RANGE",
    UNIMPLEMENTED: "UNIMPLEMENTED",
    INTERNAL: "INTERNAL",
    UNAVAILABLE: "UNAVAILABLE",
    DATA_LOSS: "DATA_LOSS",
}


class AisleError(Exception):
    """An error reported by libaisle (or by this package on its behalf).

    Attributes:
      code: the canonical status code (``aisle.errors.NOT_FOUND`` == 5, ...).
      code_name: its name ("NOT_FOUND").
      message: the message, naming what was wrong.
    """

    #: The code this class stands for (None on the base class).
    CODE = None

    def __init__(self, code, message):
        super().__init__("%s: %s" % (_NAMES.get(code, "UNRECOGNIZED(%d)" % code), message))
        self.code = code
        self.code_name = _NAMES.get(code, "UNRECOGNIZED")
        self.message = message


class Cancelled(AisleError):
    CODE = CANCELLED


class Unknown(AisleError):
    CODE = UNKNOWN


class InvalidArgument(AisleError, ValueError):
    CODE = INVALID_ARGUMENT


class InvalidArgumentType(InvalidArgument, TypeError):
    """An argument of the wrong type where the package checks it itself (a
    float, a str or a bool where an integer is expected): InvalidArgument
    (code INVALID_ARGUMENT), and a TypeError too."""


class DeadlineExceeded(AisleError):
    CODE = DEADLINE_EXCEEDED


class NotFound(AisleError, LookupError):
    CODE = NOT_FOUND


class AlreadyExists(AisleError):
    CODE = ALREADY_EXISTS


class PermissionDenied(AisleError):
    CODE = PERMISSION_DENIED


class ResourceExhausted(AisleError):
    CODE = RESOURCE_EXHAUSTED


class FailedPrecondition(AisleError):
    CODE = FAILED_PRECONDITION


class Aborted(AisleError):
    CODE = ABORTED


class OutOfRange(AisleError, IndexError):
    CODE = OUT_OF_RANGE


class Unimplemented(AisleError):
    CODE = UNIMPLEMENTED


class Internal(AisleError):
    CODE = INTERNAL


class Unavailable(AisleError):
    CODE = UNAVAILABLE


class DataLoss(AisleError):
    CODE = DATA_LOSS


_BY_CODE = {
    cls.CODE: cls
    for cls in (
        Cancelled,
        Unknown,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        DataLoss,
    )
}


def error_for(code, message):
    """The exception instance for a status code (AisleError for unknown codes)."""
    return _BY_CODE.get(code, AisleError)(code, message)


def check(code):
    """Raises the error for a non-OK code returned by a C call, with its message."""
    if code != OK:
        raw = _lib.aisle_last_error_message()
        raise error_for(code, raw.decode("utf-8", "replace") if raw else "")
