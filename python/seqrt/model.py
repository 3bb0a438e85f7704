"""seqrt.Model: a loaded, validated description and its weights."""
import ctypes
import json
import os
import threading
from typing import NamedTuple, Optional, Tuple, Union

import numpy as np

from ._handle import Owned
from . import _lib, errors

# seqrt_dtype -> numpy dtype
DTYPES = {0: np.dtype(np.float32), 1: np.dtype(np.int32), 2: np.dtype(np.int64)}
SEQRT_DTYPE = {np.dtype(np.float32): 0, np.dtype(np.int32): 1, np.dtype(np.int64): 2}

_TEXT = 256


class TensorSpec(NamedTuple):
    """A model input or output. ``shape`` holds ints and symbol names
    (``("T", "B", 32)``; ``"?"`` for an output dim known only at run time
    that no symbol names); ``text`` is the printable form "[T, B, 32]";
    ``time_axis`` the sequence axis (None for a state input or a
    non-sequence output)."""
    name: str
    dtype: np.dtype
    shape: Tuple[Union[int, str], ...]
    text: str
    time_axis: Optional[int]


class LayerInfo(NamedTuple):
    """One layer: its main output's symbolic ``shape`` ("[T, B, 256]"), the
    weight elements it uses and its FLOPs per time step and batch entry;
    ``attributes``: every attribute of its op, {name: value} in the op
    table's order (values as after loading: ``bidirectional`` and
    ``direction`` agree); ``defaults``: the names whose value is the
    attribute's default; ``gate_functions``: a recurrent layer's resolved
    gate functions ("sigmoid, tanh, tanh", "forward: ...; reverse: ..."),
    "" for other ops."""
    name: str
    op: str
    shape: str
    params: int
    flops_per_step: int
    attributes: dict = {}
    defaults: frozenset = frozenset()
    gate_functions: str = ""


def _shape(fn, handle, i):
    rank = ctypes.c_int()
    dims = (ctypes.c_int64 * _lib.MAX_RANK)()
    buf = ctypes.create_string_buffer(_TEXT)
    _lib.check(fn(handle, i, ctypes.byref(rank), dims, buf, _TEXT))
    text = _lib.text(buf.value)
    tokens = [t.strip() for t in text.strip()[1:-1].split(",")] if rank.value else []
    if len(tokens) != rank.value:  # a symbol name holding a comma: no names
        tokens = ["?"] * rank.value
    shape = tuple(int(dims[d]) if dims[d] >= 0 else tokens[d] for d in range(rank.value))
    return shape, text


def _axis(a):
    return None if a < 0 else int(a)


class Model(Owned):
    """``Model(path, weights=None, strict=False)`` loads and validates a
    description (``weights`` overrides its "weights" file; ``strict`` makes an
    unused weight tensor an error). Introspection is read once at load and
    stays valid after close(). A model must outlive its sessions: each
    Session keeps a reference, and close() while sessions are open defers
    the free until the last one closes."""

    def __init__(self, path, weights=None, strict=False):
        self._handle = None
        self._lock = threading.Lock()
        self._sessions = 0
        self._closed = False
        self.path = os.fspath(path)
        L = _lib.lib()
        opts = _lib.LoadOptions(1 if strict else 0,
                                os.fsencode(os.fspath(weights)) if weights is not None else None)
        handle = ctypes.c_void_p()
        _lib.check(L.seqrt_model_load(ctypes.byref(handle), os.fsencode(self.path), ctypes.byref(opts)))
        self._handle = handle
        try:
            self._introspect(L, handle)
        except BaseException:
            self._free()
            raise

    def _introspect(self, L, h):
        self.name = _lib.text(L.seqrt_model_name(h))
        meta = L.seqrt_model_metadata(h)
        self.metadata = json.loads(meta.decode("utf-8")) if meta else {}
        self.batch_first = bool(L.seqrt_model_batch_first(h))
        inputs = []
        for i in range(L.seqrt_model_input_count(h)):
            shape, text = _shape(L.seqrt_model_input_shape, h, i)
            inputs.append(TensorSpec(_lib.text(L.seqrt_model_input_name(h, i)),
                                     DTYPES[L.seqrt_model_input_dtype(h, i)], shape, text,
                                     _axis(L.seqrt_model_input_time_axis(h, i))))
        outputs = []
        for i in range(L.seqrt_model_output_count(h)):
            shape, text = _shape(L.seqrt_model_output_shape, h, i)
            outputs.append(TensorSpec(_lib.text(L.seqrt_model_output_name(h, i)), DTYPES[0], shape,
                                      text, _axis(L.seqrt_model_output_time_axis(h, i))))
        self.inputs, self.outputs = inputs, outputs
        layers = []
        for i in range(L.seqrt_model_layer_count(h)):
            info = _lib.LayerInfo()
            _lib.check(L.seqrt_model_layer_info(h, i, ctypes.byref(info)))
            attrs, defaults = {}, set()
            for k in range(L.seqrt_model_layer_attr_count(h, i)):
                a = _lib.LayerAttr()
                _lib.check(L.seqrt_model_layer_attr(h, i, k, ctypes.byref(a)))
                attrs[_lib.text(a.name)] = json.loads(a.value.decode("utf-8"))
                if a.is_default:
                    defaults.add(_lib.text(a.name))
            fns = ctypes.create_string_buffer(512)
            _lib.check(L.seqrt_model_layer_gate_functions(h, i, fns, len(fns)))
            layers.append(LayerInfo(_lib.text(info.name), _lib.text(info.op), _lib.text(info.shape),
                                    int(info.params), int(info.flops_per_step), attrs, frozenset(defaults),
                                    _lib.text(fns.value)))
        self.layers = layers
        self.warnings = [_lib.text(L.seqrt_model_warning(h, i)) for i in range(L.seqrt_model_warning_count(h))]
        why = ctypes.create_string_buffer(512)
        self.streamable = bool(L.seqrt_model_streamable(h, why, len(why)))
        self.why_not_streamable = "" if self.streamable else _lib.text(why.value)

    def input(self, name):
        """The TensorSpec of input `name` (InvalidArgumentError if none)."""
        for s in self.inputs:
            if s.name == name:
                return s
        raise errors.InvalidArgumentError("model '%s' has no input '%s'; its inputs are %s" %
                                          (self.name, name, ", ".join(s.name for s in self.inputs)))

    @property
    def closed(self):
        return self._closed

    # Sessions register here so that the C model outlives them.
    def _acquire(self):
        with self._lock:
            if self._closed or self._handle is None:
                raise errors.InvalidArgumentError("model '%s' is closed" % getattr(self, "name", self.path))
            self._sessions += 1
            return self._handle

    def _release(self):
        with self._lock:
            self._sessions -= 1
            if self._closed and self._sessions == 0:
                self._free()

    def _free(self):
        h, self._handle = self._handle, None
        if h is not None and h.value:
            _lib.lib().seqrt_model_free(h)

    def close(self):
        """Frees the model now, or when its last open session closes."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._sessions == 0:
                self._free()

    def __repr__(self):
        return "<seqrt.Model %r: inputs %s, outputs %s>" % (
            getattr(self, "name", self.path),
            ", ".join("%s %s %s" % (s.name, s.dtype, s.text) for s in getattr(self, "inputs", [])),
            ", ".join(s.name for s in getattr(self, "outputs", [])))
