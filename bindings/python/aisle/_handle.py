"""Base class for objects that own one C handle (internal)."""

from . import _lib, errors


class Handle:
    """Owns one C handle; ``close()``, ``with`` or garbage collection destroys it.

    Closing twice is harmless. Using a closed object raises FailedPrecondition.
    """

    _destroy_name = None  # name of the aisle_<noun>_destroy function
    _what = "object"

    __slots__ = ("_ptr", "__weakref__")

    def __init__(self, ptr):
        self._ptr = ptr

    @property
    def _h(self):
        ptr = self._ptr
        if ptr is None:
            raise errors.FailedPrecondition(
                errors.FAILED_PRECONDITION, "%s is closed" % self._what
            )
        return ptr

    @property
    def closed(self):
        """True once the handle has been destroyed."""
        return self._ptr is None

    def close(self):
        """Destroys the C handle now (idempotent)."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            getattr(_lib, self._destroy_name)(ptr)

    def __enter__(self):
        self._h  # noqa: B018 (raises when closed)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        # A fallback for objects never closed; at interpreter shutdown the
        # module globals may already be gone, hence the guard.
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


def new_out(ctype):
    """A NULL out-pointer for a handle of struct type `ctype`."""
    from ctypes import POINTER  # noqa: PLC0415

    return POINTER(ctype)()
