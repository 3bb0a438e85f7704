"""Numpy arrays <-> seqrt tensors: the input dtype rules, zero-copy wrapping,
output buffers."""
import ctypes

import numpy as np

from . import _lib, errors
from .model import SEQRT_DTYPE

F32 = np.dtype(np.float32)
_FLOAT_CONVERTED = (np.dtype(np.float16), np.dtype(np.float64))


def _describe(spec):
    return "the model declares %s %s" % (spec.dtype, spec.text)


def _usable(arr):
    """True when the library can read `arr` in place."""
    f = arr.flags
    return f.c_contiguous and f.aligned and arr.dtype.isnative


def convert_input(spec, value):
    """The array to hand the library for input `spec`: `value` itself when it
    is C-contiguous, aligned and of an accepted dtype (zero copy), otherwise
    one converted copy. Raises ShapeError for a refused dtype, RangeError for
    integers that do not fit."""
    arr = np.asarray(value)
    dt = arr.dtype
    if arr.ndim > _lib.MAX_RANK:
        raise errors.ShapeError("input '%s': rank %d is beyond seqrt's limit of %d; %s" %
                                (spec.name, arr.ndim, _lib.MAX_RANK, _describe(spec)))
    if spec.dtype == F32:
        if dt.kind == "f" and dt.itemsize == 4:
            return arr if _usable(arr) else np.ascontiguousarray(arr, dtype=F32)
        if dt.kind == "f" and dt.newbyteorder("=") in _FLOAT_CONVERTED:
            return np.ascontiguousarray(arr, dtype=F32)
        raise errors.ShapeError("input '%s': %s is refused; %s: pass float32 (float16 and float64 "
                                "are converted)" % (spec.name, dt, _describe(spec)))
    # integer input (ids, lengths): int32 and int64 as they are
    if dt.kind == "i" and dt.itemsize in (4, 8):
        return arr if _usable(arr) else np.ascontiguousarray(arr, dtype=dt.newbyteorder("="))
    if dt.kind in "iu":
        target = spec.dtype
        info = np.iinfo(target)
        if arr.size:
            lo, hi = int(arr.min()), int(arr.max())
            if lo < info.min or hi > info.max:
                bad = lo if lo < info.min else hi
                raise errors.RangeError("input '%s': value %d does not fit %s (%s given); %s" %
                                        (spec.name, bad, target, dt, _describe(spec)))
        return np.ascontiguousarray(arr, dtype=target)
    why = "%s ids would change meaning" % dt if dt.kind == "f" else "%s is refused" % dt
    raise errors.ShapeError("input '%s': %s; %s: pass int32 or int64 (other integer types are "
                            "converted)" % (spec.name, why, _describe(spec)))


def check_output_buffer(name, arr):
    """A caller's outputs= array must be written in place: float32,
    C-contiguous, aligned, native, writable. Its shape is the library's
    check (ShapeError at run)."""
    if not isinstance(arr, np.ndarray):
        raise errors.InvalidArgumentError("output '%s': outputs= needs a numpy.ndarray to write in place, "
                                          "got %s" % (name, type(arr).__name__))
    problems = []
    if arr.dtype != F32 or not arr.dtype.isnative:
        problems.append("dtype %s (needs float32)" % arr.dtype)
    if not arr.flags.c_contiguous:
        problems.append("not C-contiguous")
    if not arr.flags.writeable:
        problems.append("not writable")
    if not arr.flags.aligned:
        problems.append("not aligned")
    if arr.ndim > _lib.MAX_RANK:
        problems.append("rank %d > %d" % (arr.ndim, _lib.MAX_RANK))
    if problems:
        raise errors.InvalidArgumentError("output '%s': the outputs= array cannot be written in place: %s" %
                                          (name, ", ".join(problems)))


class Wrapped:
    """seqrt_tensor handles over numpy arrays, kept (with the arrays) until
    free()."""

    def __init__(self):
        self.handles = []
        self.arrays = []
        self._dummy = np.zeros(1, np.int64)  # data for empty arrays (NULL is refused)

    def wrap(self, arr, what):
        L = _lib.lib()
        dims = (ctypes.c_int64 * max(arr.ndim, 1))(*arr.shape)
        data = arr.ctypes.data or self._dummy.ctypes.data
        t = ctypes.c_void_p()
        st = L.seqrt_tensor_wrap(ctypes.byref(t), SEQRT_DTYPE[arr.dtype.newbyteorder("=")], arr.ndim, dims, data)
        _lib.check(st, "%s: " % what)
        self.handles.append(t)
        self.arrays.append(arr)
        return t

    def free(self):
        L = _lib.lib()
        for t in self.handles:
            L.seqrt_tensor_free(t)
        self.handles, self.arrays = [], []


def copy_out(tensor_ptr):
    """A numpy copy of a session-owned output tensor."""
    L = _lib.lib()
    rank = L.seqrt_tensor_rank(tensor_ptr)
    shape = tuple(int(L.seqrt_tensor_dim(tensor_ptr, d)) for d in range(rank))
    count = int(L.seqrt_tensor_count(tensor_ptr))
    out = np.empty(shape, F32)
    if count:
        ctypes.memmove(out.ctypes.data, L.seqrt_tensor_data(tensor_ptr), count * 4)
    return out


def resolve_output_shape(out_spec, symbols, chunk_steps=None):
    """The concrete shape of an output from the symbol values of this run's
    inputs, or None when a dim cannot be resolved. In a streaming session
    (`chunk_steps` = this run's time steps) a sequence output's time dim is
    the chunk's, even where the description declares a concrete length."""
    shape = []
    for axis, d in enumerate(out_spec.shape):
        if out_spec.time_axis == axis and chunk_steps is not None:
            shape.append(chunk_steps)
        elif isinstance(d, int):
            shape.append(d)
        elif d in symbols:
            shape.append(symbols[d])
        else:
            return None
    return tuple(shape)


def input_symbols(in_specs, arrays):
    """{symbol: dim} from the inputs' declared shapes and the given arrays;
    a symbol given two different sizes is left out (the run reports it)."""
    symbols, clash = {}, set()
    for spec, arr in zip(in_specs, arrays):
        if arr.ndim != len(spec.shape):
            continue
        for d, n in zip(spec.shape, arr.shape):
            if isinstance(d, str) and d != "?":
                if symbols.setdefault(d, n) != n:
                    clash.add(d)
    for d in clash:
        del symbols[d]
    return symbols


def time_steps(in_specs, arrays):
    """This run's time steps: the time-axis length shared by every sequence
    input, or None (none, or they disagree: the run reports it)."""
    steps = {arr.shape[s.time_axis] for s, arr in zip(in_specs, arrays)
             if s.time_axis is not None and arr.ndim > s.time_axis}
    return steps.pop() if len(steps) == 1 else None
