"""seqrt.dask.ItemError: one item of a job that cannot be scored, named."""
import os

from .. import errors


def describe(item):
    """A short printable form of an item: its path (quoted), or its type and
    shape or length."""
    if isinstance(item, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(item))
    shape = getattr(item, "shape", None)
    if shape is not None:
        return "%s of shape %s" % (type(item).__name__, tuple(shape))
    try:
        return "%s of length %d" % (type(item).__name__, len(item))
    except TypeError:
        return type(item).__name__


class ItemError(errors.Error):
    """An item of a seqrt.dask job is bad: a file that cannot be read, a
    sequence of the wrong shape or dtype, values the model refuses. ``index``
    is the item's position in the input collection, ``item`` its printable
    form (the quoted path, or "list of length 12"), ``reason`` what is wrong;
    ``status`` is the seqrt status of the cause (FileError's for a missing
    file, ShapeError's for a wrong shape, the library's for a refused value).
    Build one with ItemError.of(index, item, reason, status)."""

    def __init__(self, index, item, reason, status=errors.ERR_INVALID_ARGUMENT):
        super().__init__("seqrt.dask: item %d (%s): %s" % (index, item, reason), status)
        self.args = (index, item, reason, status)   # what unpickling (on the client) calls __init__ with
        self.index, self.item, self.reason = index, item, reason

    def __str__(self):
        return self.message

    @classmethod
    def of(cls, index, item, reason, status=errors.ERR_INVALID_ARGUMENT):
        return cls(index, describe(item), reason, status)
