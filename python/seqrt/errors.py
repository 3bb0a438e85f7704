"""Exceptions: one class per seqrt_status, plus LibraryError.

Every failing library call raises the subclass matching its status, with the
library's one-line ``seqrt_last_error()`` message (read in the same thread,
right after the call). Checks made on the Python side (input names, dtypes,
output buffers) raise the same classes.
"""

# seqrt_status values (api/seqrt.h) and their seqrt_status_str() texts, used
# when the library itself is not at hand (Python-side checks, LibraryError).
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_IO = 2
ERR_PARSE = 3
ERR_MODEL = 4
ERR_SHAPE = 5
ERR_RANGE = 6
ERR_UNSUPPORTED = 7
ERR_UNAVAILABLE = 8
ERR_OUT_OF_MEMORY = 9
ERR_LIMIT = 10
ERR_DEVICE = 11
ERR_INTERNAL = 12

_STATUS_NAMES = {
    OK: "success",
    ERR_INVALID_ARGUMENT: "invalid argument",
    ERR_IO: "I/O error",
    ERR_PARSE: "malformed file",
    ERR_MODEL: "invalid model",
    ERR_SHAPE: "shape mismatch",
    ERR_RANGE: "value out of range",
    ERR_UNSUPPORTED: "unsupported",
    ERR_UNAVAILABLE: "unavailable",
    ERR_OUT_OF_MEMORY: "out of memory",
    ERR_LIMIT: "limit exceeded",
    ERR_DEVICE: "device error",
    ERR_INTERNAL: "internal error",
}


class Error(Exception):
    """A seqrt failure. ``status`` is the seqrt_status (int, None for
    LibraryError), ``status_name`` its text, ``str(e)`` the message."""

    status = None

    def __init__(self, message, status=None, status_name=None):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message
        if status_name is None:
            status_name = _STATUS_NAMES.get(self.status, "unknown status") if self.status is not None else None
        self.status_name = status_name


class InvalidArgumentError(Error):
    """API misuse: bad argument, unknown input/output name, closed object."""
    status = ERR_INVALID_ARGUMENT


class FileError(Error):
    """A file cannot be opened, read or written (SEQRT_ERR_IO)."""
    status = ERR_IO


class ParseError(Error):
    """Malformed JSON, safetensors or .npy."""
    status = ERR_PARSE


class ModelError(Error):
    """Invalid description: op, attribute, type, value, weight."""
    status = ERR_MODEL


class ShapeError(Error):
    """Run inputs: wrong shape or dtype, symbols disagree."""
    status = ERR_SHAPE


class RangeError(Error):
    """Data out of range: id outside the vocabulary, length > T."""
    status = ERR_RANGE


class UnsupportedError(Error):
    """The device does not support an op or attribute."""
    status = ERR_UNSUPPORTED


class UnavailableError(Error):
    """Unknown or unavailable backend or device."""
    status = ERR_UNAVAILABLE


class OutOfMemoryError(Error):
    """An allocation failed."""
    status = ERR_OUT_OF_MEMORY


class LimitError(Error):
    """A size beyond seqrt's documented limits."""
    status = ERR_LIMIT


class DeviceError(Error):
    """The backend's runtime failed."""
    status = ERR_DEVICE


class InternalError(Error):
    """A bug in seqrt: please report it."""
    status = ERR_INTERNAL


class LibraryError(Error):
    """libseqrt cannot be found or loaded, or has the wrong version / ABI."""
    status = None


_BY_STATUS = {cls.status: cls for cls in (
    InvalidArgumentError, FileError, ParseError, ModelError, ShapeError, RangeError,
    UnsupportedError, UnavailableError, OutOfMemoryError, LimitError, DeviceError,
    InternalError)}


def error_for(status, message, status_name=None):
    """The exception (not raised) for a failing seqrt_status."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return Error(message or "unknown status %d" % status, status=status, status_name=status_name)
    return cls(message, status=status, status_name=status_name)


__all__ = ["Error", "InvalidArgumentError", "FileError", "ParseError", "ModelError", "ShapeError",
           "RangeError", "UnsupportedError", "UnavailableError", "OutOfMemoryError", "LimitError",
           "DeviceError", "InternalError", "LibraryError"]
