"""seqrt.Session: a model prepared for one device."""
import ctypes
import threading
from collections.abc import Mapping

import numpy as np

from ._handle import Owned
from . import _lib, _tensors, errors
from .devices import _device_from, find as _find_device
from .model import Model


def _spec_list(specs):
    return ", ".join("%s %s %s" % (s.name, s.dtype, s.text) for s in specs)


class Session(Owned):
    """``Session(model, device=None, streaming=False)`` prepares `model` for a
    device: None (``$SEQRT_BACKEND``, default auto), a spec string
    ("onednn", "reference:0", "auto") or a seqrt.Device. With
    ``streaming=True`` every recurrent layer's state carries from one run to
    the next (reset() forgets it). ``precision=None`` computes every layer at
    its own precision (format 1.2; a device that cannot raises
    UnsupportedError naming the layer); ``precision="f32"`` widens int8 /
    bf16 / f16 weights and computes in f32, as SEQRT_PRECISION=f32 does.

    A session is used by one thread at a time: a run(), reset() or close()
    while another thread runs it raises InvalidArgumentError (close() waits).
    Sessions, also of one model, run in parallel in different threads: the
    GIL is released during the run."""

    def __init__(self, model, device=None, streaming=False, precision=None):
        self._handle = None
        self._model = None
        self._busy = threading.Lock()
        if not isinstance(model, Model):
            raise errors.InvalidArgumentError("Session needs a seqrt.Model, got %s" % type(model).__name__)
        if precision is not None and not isinstance(precision, str):
            raise errors.InvalidArgumentError("Session precision must be a string such as 'f32' or None, got %s"
                                              % type(precision).__name__)
        L = _lib.lib()
        dev = _find_device(device)
        mh = model._acquire()
        try:
            opts = _lib.SessionOptions(1 if streaming else 0, precision.encode() if precision else None)
            handle = ctypes.c_void_p()
            _lib.check(L.seqrt_session_create(ctypes.byref(handle), mh, dev, ctypes.byref(opts)))
        except BaseException:
            model._release()
            raise
        self._model, self._handle = model, handle
        self.streaming = bool(streaming)
        self.device = _device_from(L.seqrt_session_device(handle))

    @property
    def model(self):
        return self._model

    @property
    def closed(self):
        return self._handle is None

    def _enter(self, what):
        if not self._busy.acquire(blocking=False):
            raise errors.InvalidArgumentError(
                "session.%s: the session is in use by another thread (a session is used by one thread "
                "at a time; give each thread its own Session)" % what)
        if self._handle is None:
            self._busy.release()
            raise errors.InvalidArgumentError("session.%s: the session is closed" % what)

    def _ordered_inputs(self, inputs):
        specs = self._model.inputs
        if isinstance(inputs, Mapping):
            extra = [k for k in inputs if k not in {s.name for s in specs}]
            if extra:
                raise errors.InvalidArgumentError("unknown input%s %s; the model's inputs are %s" % (
                    "s" if len(extra) > 1 else "", ", ".join("'%s'" % k for k in extra), _spec_list(specs)))
            missing = [s.name for s in specs if s.name not in inputs]
            if missing:
                raise errors.InvalidArgumentError("missing input%s %s; the model's inputs are %s" % (
                    "s" if len(missing) > 1 else "", ", ".join("'%s'" % k for k in missing), _spec_list(specs)))
            values = [inputs[s.name] for s in specs]
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) != len(specs):
                raise errors.InvalidArgumentError("%d input(s) given; the model takes %d: %s" %
                                                  (len(inputs), len(specs), _spec_list(specs)))
            values = list(inputs)
        else:
            raise errors.InvalidArgumentError("inputs must be a dict {name: array} or a list/tuple in "
                                              "model order, got %s" % type(inputs).__name__)
        return [_tensors.convert_input(s, v) for s, v in zip(specs, values)]

    def _output_buffers(self, outputs):
        names = [s.name for s in self._model.outputs]
        bufs = {}
        if outputs is None:
            return bufs
        if not isinstance(outputs, Mapping):
            raise errors.InvalidArgumentError("outputs must be a dict {output name: float32 array}, got %s"
                                              % type(outputs).__name__)
        for name, arr in outputs.items():
            if name not in names:
                raise errors.InvalidArgumentError("outputs: the model has no output '%s'; its outputs are %s" %
                                                  (name, ", ".join(names)))
            _tensors.check_output_buffer(name, arr)
            bufs[names.index(name)] = arr
        return bufs

    def run(self, inputs, outputs=None):
        """Runs the model and returns {output name: float32 array}.

        `inputs`: {name: array-like} or a list/tuple in model order.
        `outputs`: optional {output name: float32 C-contiguous writable
        array}; those are written in place and returned as they are. Every
        other output is allocated here before the run and written by the
        library directly when its shape follows from the inputs, else copied
        once from the session after the run."""
        self._enter("run")
        try:
            return self._run(inputs, outputs)
        finally:
            self._busy.release()

    def _run(self, inputs, outputs):
        L = _lib.lib()
        h = self._handle
        model = self._model
        arrays = self._ordered_inputs(inputs)
        bufs = self._output_buffers(outputs)
        symbols = _tensors.input_symbols(model.inputs, arrays)
        steps = _tensors.time_steps(model.inputs, arrays) if self.streaming else None
        for i, spec in enumerate(model.outputs):
            if i not in bufs and not (self.streaming and spec.time_axis is not None and steps is None):
                shape = _tensors.resolve_output_shape(spec, symbols, steps)
                if shape is not None:
                    bufs[i] = np.empty(shape, np.float32)
        wrapped = _tensors.Wrapped()
        bound = []
        try:
            ptrs = (ctypes.c_void_p * max(len(arrays), 1))()
            for k, (spec, arr) in enumerate(zip(model.inputs, arrays)):
                ptrs[k] = wrapped.wrap(arr, "input '%s'" % spec.name).value
            for i, arr in bufs.items():
                t = wrapped.wrap(arr, "output '%s'" % model.outputs[i].name)
                bound.append(i)
                _lib.check(L.seqrt_session_bind_output(h, i, t))
            _lib.check(L.seqrt_session_run(h, ptrs, len(arrays)))
            result = {}
            for i, spec in enumerate(model.outputs):
                if i in bufs:
                    result[spec.name] = bufs[i]
                else:
                    t = ctypes.c_void_p()
                    _lib.check(L.seqrt_session_output(h, i, ctypes.byref(t)))
                    result[spec.name] = _tensors.copy_out(t)
            return result
        finally:
            for i in bound:  # the session must never keep pointers to Python memory
                L.seqrt_session_bind_output(h, i, None)
            wrapped.free()

    def reset(self):
        """Streaming: forget the carried state; the next run starts from the
        model's initial states."""
        self._enter("reset")
        try:
            _lib.check(_lib.lib().seqrt_session_reset(self._handle))
        finally:
            self._busy.release()

    def close(self):
        """Frees the session (waits for a run in another thread to end)."""
        with self._busy:
            self._free()

    def _free(self):
        h, self._handle = self._handle, None
        if h is not None:
            _lib.lib().seqrt_session_free(h)
            self._model._release()

    def __repr__(self):
        state = "closed" if self._handle is None else self.device.id
        name = self._model.name if self._model is not None else "?"
        return "<seqrt.Session %r on %s%s>" % (name, state, ", streaming" if self.streaming else "")
