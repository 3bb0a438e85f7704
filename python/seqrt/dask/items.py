"""What seqrt.dask feeds a model, and reading one item.

A model fits seqrt.dask when it has one sequence input ([T, B, ...], or
[B, T, ...] with batch_first) and at most one other input, the lengths
[B]; every output has the batch axis. An item is one sequence of that
input without its batch axis, time first: a token list [T] for ids, [T, F]
for features; a .npy path, a NumPy array or a (nested) list. An array that
still has a batch axis of 1 (a `seqrt run` input) is taken too.
"""
import io
import os
from typing import NamedTuple, Optional, Tuple

import numpy as np

from .. import errors
from .errors import ItemError


class Output(NamedTuple):
    name: str
    batch_axis: int
    time_axes: Tuple[int, ...]


class Layout(NamedTuple):
    """The sequence input (``input``, ``dtype``, ``item_shape`` time first,
    its ``batch_axis``), the lengths input's name (None if the model has
    none) and each output's batch axis and time axes (the axes sized by the
    input's time symbol)."""
    model: str
    input: str
    dtype: np.dtype
    item_shape: Tuple[object, ...]
    batch_axis: int
    lengths: Optional[str]
    outputs: Tuple[Output, ...]


def _unfit(model, why):
    return errors.InvalidArgumentError("seqrt.dask: model '%s' %s (seqrt.dask feeds one sequence input "
                                       "and, optionally, its lengths [B])" % (model.name, why))


def layout_of(model):
    """The Layout of a seqrt.Model, or InvalidArgumentError saying why the
    model does not fit (naming the input or output)."""
    seqs = [s for s in model.inputs if s.time_axis is not None]
    if len(seqs) != 1:
        raise _unfit(model, "has %d sequence inputs (%s)" % (len(seqs), ", ".join(s.name for s in seqs) or "none"))
    seq = seqs[0]
    batch_axis = 0 if model.batch_first else 1
    if len(seq.shape) < 2 or batch_axis == seq.time_axis:
        raise _unfit(model, "has input '%s' %s without a batch axis" % (seq.name, seq.text))
    T, B = seq.shape[seq.time_axis], seq.shape[batch_axis]
    if not isinstance(T, str) or not isinstance(B, str):
        raise _unfit(model, "fixes the time or batch size of input '%s' %s" % (seq.name, seq.text))
    item_shape = tuple(d for a, d in enumerate(seq.shape) if a != batch_axis)
    if any(isinstance(d, str) for d in item_shape[1:]):
        raise _unfit(model, "has a symbolic feature dim in input '%s' %s" % (seq.name, seq.text))
    lengths = None
    for s in model.inputs:
        if s is seq:
            continue
        if s.shape != (B,) or s.dtype.kind != "i" or lengths is not None:
            raise _unfit(model, "also has input '%s' %s %s" % (s.name, s.dtype, s.text))
        lengths = s.name
    outputs = []
    for s in model.outputs:
        if B not in s.shape:
            raise _unfit(model, "has output '%s' %s without the batch axis %s" % (s.name, s.text, B))
        outputs.append(Output(s.name, s.shape.index(B), tuple(a for a, d in enumerate(s.shape) if d == T)))
    return Layout(model.name, seq.name, seq.dtype, item_shape, batch_axis, lengths, tuple(outputs))


def _want(layout):
    return "[%s] %s" % (", ".join(str(d) for d in layout.item_shape), layout.dtype)


def check_shape(index, item, shape, dtype, layout):
    """The item's time length, if an array of `shape` and `dtype` fits the
    layout's input (the batch axis of 1 may be there); else ItemError."""
    shape = tuple(int(d) for d in shape)
    want = layout.item_shape
    if len(shape) == len(want) + 1 and shape[layout.batch_axis] == 1:
        shape = shape[:layout.batch_axis] + shape[layout.batch_axis + 1:]
    if len(shape) != len(want) or any(g != w for g, w in zip(shape[1:], want[1:])):
        raise ItemError.of(index, item, "shape %s, but input '%s' of model '%s' takes one sequence %s" % (
            list(shape), layout.input, layout.model, _want(layout)), errors.ERR_SHAPE)
    if shape[0] < 1:
        raise ItemError.of(index, item, "an empty sequence (T = 0)", errors.ERR_SHAPE)
    kind = np.dtype(dtype).kind
    if layout.dtype.kind == "i" and kind not in "iu":
        raise ItemError.of(index, item, "dtype %s, but input '%s' takes integer ids (%s)" % (
            np.dtype(dtype), layout.input, _want(layout)), errors.ERR_SHAPE)
    if layout.dtype.kind == "f" and kind != "f":
        raise ItemError.of(index, item, "dtype %s, but input '%s' takes floats (%s)" % (
            np.dtype(dtype), layout.input, _want(layout)), errors.ERR_SHAPE)
    return shape[0]


def as_sequence(index, item, array, layout):
    """`array` (the item's data) as the layout's dtype, time first, without
    a batch axis; ItemError if it does not fit."""
    try:
        a = np.asarray(array)
    except (ValueError, TypeError) as e:
        raise ItemError.of(index, item, "not a rectangular array (%s)" % e, errors.ERR_SHAPE) from None
    if (a.dtype == layout.dtype and a.ndim == len(layout.item_shape) and a.ndim and a.shape[0] >= 1
            and a.shape[1:] == tuple(layout.item_shape[1:])):
        return np.ascontiguousarray(a)      # already fits (e.g. checked on the client)
    if a.dtype == object:
        raise ItemError.of(index, item, "not a rectangular array of numbers", errors.ERR_SHAPE)
    check_shape(index, item, a.shape, a.dtype, layout)
    if a.ndim == len(layout.item_shape) + 1:
        a = np.squeeze(a, axis=layout.batch_axis)      # a batch of one
    if a.dtype.kind in "iu" and a.size:
        lo, hi = int(a.min()), int(a.max())
        info = np.iinfo(layout.dtype)
        if lo < info.min or hi > info.max:
            raise ItemError.of(index, item, "value %d does not fit input '%s' (%s)" % (
                lo if lo < info.min else hi, layout.input, layout.dtype), errors.ERR_RANGE)
    return np.ascontiguousarray(a, dtype=layout.dtype)


def is_path(item):
    return isinstance(item, (str, bytes, os.PathLike))


def npy_length(index, path, layout):
    """The time length of the .npy file `path`, from its header only."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise ItemError.of(index, path, "cannot read: %s" % (e.strerror or e), errors.ERR_IO) from None
    with f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:   # a newer header: read the whole file
                a = _parse(index, path, f.read(), version)
                shape, dtype = a.shape, a.dtype
        except (ValueError, OSError, SyntaxError) as e:
            raise ItemError.of(index, path, "not a .npy file: %s" % e, errors.ERR_PARSE) from None
    return check_shape(index, path, shape, dtype, layout)


def load(index, item, layout):
    """The item's sequence (see as_sequence); a path is read whole, once."""
    if not is_path(item):
        return as_sequence(index, item, item, layout)
    try:
        with open(item, "rb") as f:   # read whole, then parsed: no seek (pipes, object stores' fuse mounts)
            data = f.read()
    except OSError as e:
        raise ItemError.of(index, item, "cannot read: %s" % (e.strerror or e), errors.ERR_IO) from None
    return as_sequence(index, item, _parse(index, item, data), layout)


def _parse(index, path, data, version=None):
    prefix = b"" if version is None else np.lib.format.magic(*version)
    try:
        return np.load(io.BytesIO(prefix + data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ItemError.of(index, path, "not a .npy file: %s" % e, errors.ERR_PARSE) from None
