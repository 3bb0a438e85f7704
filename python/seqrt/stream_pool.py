"""seqrt.StreamPool: many independent streams of one model stepped together
(the C API's seqrt_stream_pool; docs/streams.md).

    pool = seqrt.StreamPool(model, "onednn", capacity=32)
    pool.start("alice")                      # zeros, or states={name: array}
    out = pool.step({"alice": {"tokens": np.array([[5]], np.int32)},
                     "bob": np.array([[3], [4]], np.int32)})
    out["alice"]["probs"]                    # [1, 1, V]
    saved = pool.get_state("alice"); ...; pool.set_state("alice", saved)
    pool.end("alice")

Stream ids are ints in [0, 2^64) or strings (each string is mapped to an
int id of its own by the pool object). Failures raise the seqrt.Error
subclass of the library's status with its message, which names the stream.
"""
import ctypes
import re
import threading
from collections.abc import Mapping

import numpy as np

from ._handle import Owned
from . import _lib, _tensors, errors
from .devices import find as _find_device
from .model import Model

_CLOCK = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_void_p)


class _Options(ctypes.Structure):
    _fields_ = [("capacity", ctypes.c_size_t), ("idle_timeout_s", ctypes.c_double), ("evict_oldest", ctypes.c_int),
                ("clock", _CLOCK), ("clock_ctx", ctypes.c_void_p), ("exact_batch", ctypes.c_int)]


_vp, _sz, _u64, _pvp = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint64, ctypes.POINTER(ctypes.c_void_p)
_PROTOTYPES = {
    "seqrt_stream_pool_create": (ctypes.c_int, [_pvp, _vp, _vp, ctypes.POINTER(_Options)]),
    "seqrt_stream_pool_free": (None, [_vp]),
    "seqrt_stream_pool_capacity": (_sz, [_vp]),
    "seqrt_stream_pool_open_count": (_sz, [_vp]),
    "seqrt_stream_pool_is_open": (ctypes.c_int, [_vp, _u64]),
    "seqrt_stream_pool_state_count": (_sz, [_vp]),
    "seqrt_stream_pool_state_info": (ctypes.c_int, [_vp, _sz, ctypes.POINTER(ctypes.c_char_p),
                                                    ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int)]),
    "seqrt_stream_pool_start": (ctypes.c_int, [_vp, _u64, _pvp, _sz]),
    "seqrt_stream_pool_end": (ctypes.c_int, [_vp, _u64]),
    "seqrt_stream_pool_evict_idle": (ctypes.c_int, [_vp, ctypes.POINTER(_sz)]),
    "seqrt_stream_pool_step": (ctypes.c_int, [_vp, _sz, ctypes.POINTER(_u64), _pvp]),
    "seqrt_stream_pool_output": (ctypes.c_int, [_vp, _u64, _sz, _pvp]),
    "seqrt_stream_pool_get_state": (ctypes.c_int, [_vp, _u64, _sz, _vp]),
    "seqrt_stream_pool_set_state": (ctypes.c_int, [_vp, _u64, _sz, _vp]),
}
_bound = False
_bind_lock = threading.Lock()


def _lib_pool():
    """The library with the pool's prototypes set (once)."""
    global _bound
    L = _lib.lib()
    if not _bound:
        with _bind_lock:
            for name, (restype, argtypes) in _PROTOTYPES.items():
                try:
                    f = getattr(L, name)
                except AttributeError:
                    raise errors.LibraryError("%s (libseqrt %s) lacks the symbol %s: it has no stream pool"
                                              % (_lib.library_path(), _lib.version(), name)) from None
                f.restype, f.argtypes = restype, argtypes
            _bound = True
    return L


class StateSpec(tuple):
    """(name, shape, model_input): a carried state of every stream, float32
    ``shape`` = (L*D, 1, H); ``model_input`` the model input (h0/c0) a
    streaming session would start it from, or None (zeros)."""
    __slots__ = ()

    def __new__(cls, name, shape, model_input):
        return tuple.__new__(cls, (name, shape, model_input))

    name = property(lambda s: s[0])
    shape = property(lambda s: s[1])
    model_input = property(lambda s: s[2])


class StreamPool(Owned):
    """``StreamPool(model, device=None, capacity=64, idle_timeout=0,
    evict_oldest=False, clock=None)``: streams of `model` on one device.
    `idle_timeout` (seconds, 0: never) evicts the streams not started or
    stepped for longer; `evict_oldest` makes start() on a full pool evict the
    stream idle longest instead of raising LimitError; `clock` (a function
    returning seconds) replaces the monotonic clock (tests); `exact_batch`
    runs each group of k streams at batch k instead of padded up to a power
    of two (docs/streams.md).

    Thread-safe: calls from several threads are serialised by the pool."""

    def __init__(self, model, device=None, capacity=64, idle_timeout=0.0, evict_oldest=False, clock=None,
                 exact_batch=False):
        self._handle = None
        self._model = None
        self._lock = threading.Lock()
        self._names = {}
        if not isinstance(model, Model):
            raise errors.InvalidArgumentError("StreamPool needs a seqrt.Model, got %s" % type(model).__name__)
        if not isinstance(capacity, int) or capacity < 0:
            raise errors.InvalidArgumentError("StreamPool: capacity must be a whole number >= 0, got %r" % (capacity,))
        L = _lib_pool()
        dev = _find_device(device)
        self._clock = _CLOCK(lambda ctx: float(clock())) if clock else _CLOCK()
        opts = _Options(capacity, float(idle_timeout), 1 if evict_oldest else 0, self._clock, None,
                        1 if exact_batch else 0)
        mh = model._acquire()
        try:
            handle = ctypes.c_void_p()
            _lib.check(L.seqrt_stream_pool_create(ctypes.byref(handle), mh, dev, ctypes.byref(opts)))
        except BaseException:
            model._release()
            raise
        self._model, self._handle = model, handle
        self.capacity = int(L.seqrt_stream_pool_capacity(handle))
        self.states = []
        for k in range(int(L.seqrt_stream_pool_state_count(handle))):
            name, dims, mi = ctypes.c_char_p(), (ctypes.c_int64 * 3)(), ctypes.c_int()
            _lib.check(L.seqrt_stream_pool_state_info(handle, k, ctypes.byref(name), dims, ctypes.byref(mi)))
            self.states.append(StateSpec(_lib.text(name.value), tuple(int(d) for d in dims),
                                         model.inputs[mi.value].name if mi.value >= 0 else None))
        state_inputs = {s.model_input for s in self.states}
        self._chunk_inputs = [i for i, s in enumerate(model.inputs) if s.name not in state_inputs]

    @property
    def model(self):
        return self._model

    @property
    def closed(self):
        return self._handle is None

    # ------------------------------------------------------------ helpers

    def _id(self, sid):
        if isinstance(sid, bool):
            raise errors.InvalidArgumentError("stream id %r: use an int or a str" % (sid,))
        if isinstance(sid, int):
            if not 0 <= sid < 2 ** 64:
                raise errors.InvalidArgumentError("stream id %d is outside [0, 2^64)" % sid)
            return sid
        if isinstance(sid, str):
            if sid not in self._names:
                self._names[sid] = (1 << 63) + len(self._names)  # the upper half of the ids, one per string
            return self._names[sid]
        raise errors.InvalidArgumentError("stream id %r: use an int or a str, not %s" % (sid, type(sid).__name__))

    def _call(self, what, fn, *args):
        with self._lock:
            if self._handle is None:
                raise errors.InvalidArgumentError("StreamPool.%s: the pool is closed" % what)
            try:
                return fn(_lib_pool(), self._handle, *args)
            except errors.Error as e:
                if not self._names or e.status is None:
                    raise
                # the library names streams by number: give string ids back their names
                by_num = {num: name for name, num in self._names.items()}
                msg = re.sub(r"\b\d{19,20}\b", lambda m: repr(by_num.get(int(m.group()), m.group()))
                             if int(m.group()) in by_num else m.group(), e.message)
                if msg == e.message:
                    raise
                raise errors.error_for(e.status, msg, e.status_name) from None

    def _state_arrays(self, states, what):
        """[array or None] per state, from a {name: array} or a list."""
        if isinstance(states, Mapping):
            names = [s.name for s in self.states]
            unknown = [k for k in states if k not in names]
            if unknown:
                raise errors.InvalidArgumentError("%s: no state %s; the states are %s" %
                                                  (what, ", ".join(map(repr, unknown)), ", ".join(names)))
            states = [states.get(n) for n in names]
        if len(states) != len(self.states):
            raise errors.InvalidArgumentError("%s: %d state(s) given; the model carries %d (%s)" % (
                what, len(states), len(self.states), ", ".join(s.name for s in self.states)))
        out = []
        for spec, a in zip(self.states, states):
            if a is None:
                out.append(None)
                continue
            a = np.asarray(a)
            if a.dtype.kind != "f":
                raise errors.ShapeError("%s: state '%s' is %s; it must be float32 %s" % (what, spec.name, a.dtype,
                                                                                       list(spec.shape)))
            out.append(np.ascontiguousarray(a, dtype=np.float32))
        return out

    def _chunk(self, sid, value):
        """The model inputs of one stream's chunk, in model order (None for
        the inputs wired to h0/c0)."""
        specs = self._model.inputs
        if not isinstance(value, (Mapping, list, tuple)):
            if len(self._chunk_inputs) != 1:
                raise errors.InvalidArgumentError("stream %r: the model takes %d chunk inputs (%s); pass a dict" % (
                    sid, len(self._chunk_inputs), ", ".join(specs[i].name for i in self._chunk_inputs)))
            value = {specs[self._chunk_inputs[0]].name: value}
        if isinstance(value, Mapping):
            names = {specs[i].name for i in self._chunk_inputs}
            extra = [k for k in value if k not in names]
            missing = [n for n in sorted(names) if n not in value]
            if extra or missing:
                raise errors.InvalidArgumentError("stream %r: %s; a chunk holds the inputs %s" % (
                    sid, "unknown input(s) %s" % ", ".join(map(repr, extra)) if extra else
                    "missing input(s) %s" % ", ".join(map(repr, missing)), ", ".join(sorted(names))))
            value = [value[specs[i].name] for i in self._chunk_inputs]
        if len(value) != len(self._chunk_inputs):
            raise errors.InvalidArgumentError("stream %r: %d chunk input(s) given; the model takes %d" % (
                sid, len(value), len(self._chunk_inputs)))
        arrays = [None] * len(specs)
        for i, v in zip(self._chunk_inputs, value):
            try:
                arrays[i] = _tensors.convert_input(specs[i], v)
            except errors.Error as e:
                raise errors.error_for(e.status, "stream %r: %s" % (sid, e.message), e.status_name) from None
        return arrays

    # ------------------------------------------------------------ streams

    def start(self, sid, states=None):
        """Opens stream `sid`, from zeros or from `states` ({name: array} or a
        list in state order; float32 (L*D, 1, H); a None entry: zeros)."""
        arrays = None if states is None else self._state_arrays(states, "stream %r" % (sid,))
        cid = self._id(sid)

        def go(L, h):
            if arrays is None:
                _lib.check(L.seqrt_stream_pool_start(h, cid, None, 0))
                return
            wrapped = _tensors.Wrapped()
            try:
                ptrs = (ctypes.c_void_p * max(len(arrays), 1))()
                for k, a in enumerate(arrays):
                    ptrs[k] = None if a is None else wrapped.wrap(a, "state '%s'" % self.states[k].name).value
                _lib.check(L.seqrt_stream_pool_start(h, cid, ptrs, len(arrays)))
            finally:
                wrapped.free()
        self._call("start", go)

    def end(self, sid):
        cid = self._id(sid)
        self._call("end", lambda L, h: _lib.check(L.seqrt_stream_pool_end(h, cid)))

    def is_open(self, sid):
        cid = self._id(sid)
        return bool(self._call("is_open", lambda L, h: L.seqrt_stream_pool_is_open(h, cid)))

    @property
    def open_count(self):
        return int(self._call("open_count", lambda L, h: L.seqrt_stream_pool_open_count(h)))

    def evict_idle(self):
        """Evicts the streams idle past the timeout now; returns how many."""
        n = ctypes.c_size_t()
        self._call("evict_idle", lambda L, h: _lib.check(L.seqrt_stream_pool_evict_idle(h, ctypes.byref(n))))
        return int(n.value)

    def step(self, chunks):
        """Runs one chunk of each stream of `chunks` ({id: chunk}) together;
        a chunk is {input name: array}, a list in model order (without the
        h0/c0 inputs), or one array when the model takes one. Returns {id:
        {output name: float32 array}}, batch one. On failure nothing
        changes, for any stream."""
        if not isinstance(chunks, Mapping):
            raise errors.InvalidArgumentError("StreamPool.step needs a dict {stream id: chunk}, got %s" %
                                              type(chunks).__name__)
        sids = list(chunks)
        per = [self._chunk(s, chunks[s]) for s in sids]
        cids = [self._id(s) for s in sids]
        nin = len(self._model.inputs)
        outs = self._model.outputs

        def go(L, h):
            wrapped = _tensors.Wrapped()
            try:
                ptrs = (ctypes.c_void_p * max(len(sids) * nin, 1))()
                for j, arrays in enumerate(per):
                    for i, a in enumerate(arrays):
                        if a is not None:
                            ptrs[j * nin + i] = wrapped.wrap(a, "stream %r: input '%s'" % (
                                sids[j], self._model.inputs[i].name)).value
                ids = (ctypes.c_uint64 * max(len(cids), 1))(*cids)
                _lib.check(L.seqrt_stream_pool_step(h, len(cids), ids, ptrs))
            finally:
                wrapped.free()
            result = {}
            for s, c in zip(sids, cids):
                r = {}
                for o, spec in enumerate(outs):
                    t = ctypes.c_void_p()
                    _lib.check(L.seqrt_stream_pool_output(h, c, o, ctypes.byref(t)))
                    r[spec.name] = _tensors.copy_out(t)
                result[s] = r
            return result
        return self._call("step", go)

    def get_state(self, sid):
        """{state name: float32 (L*D, 1, H) copy} of stream `sid`."""
        cid = self._id(sid)

        def go(L, h):
            out = {}
            wrapped = _tensors.Wrapped()
            try:
                for k, spec in enumerate(self.states):
                    a = np.empty(spec.shape, np.float32)
                    _lib.check(L.seqrt_stream_pool_get_state(h, cid, k, wrapped.wrap(a, "state")))
                    out[spec.name] = a
            finally:
                wrapped.free()
            return out
        return self._call("get_state", go)

    def set_state(self, sid, states):
        """Replaces the states of stream `sid` ({name: array} or a list; a
        missing or None entry is left as it is)."""
        arrays = self._state_arrays(states, "stream %r" % (sid,))
        cid = self._id(sid)

        def go(L, h):
            wrapped = _tensors.Wrapped()
            try:
                # every state checked before any is written
                handles = [None if a is None else wrapped.wrap(a, "state '%s'" % self.states[k].name)
                           for k, a in enumerate(arrays)]
                for k, (spec, a) in enumerate(zip(self.states, arrays)):
                    if a is not None and a.shape != spec.shape:
                        raise errors.ShapeError("stream %r: state '%s' has shape %s; it must be float32 %s" % (
                            sid, spec.name, list(a.shape), list(spec.shape)))
                for k, t in enumerate(handles):
                    if t is not None:
                        _lib.check(L.seqrt_stream_pool_set_state(h, cid, k, t))
            finally:
                wrapped.free()
        self._call("set_state", go)

    # ------------------------------------------------------------ lifetime

    def close(self):
        with self._lock:
            self._free()

    def _free(self):
        h, self._handle = self._handle, None
        if h is not None:
            _lib_pool().seqrt_stream_pool_free(h)
            self._model._release()

    def __repr__(self):
        name = self._model.name if self._model is not None else "?"
        return "<seqrt.StreamPool %r, capacity %d%s>" % (name, getattr(self, "capacity", 0),
                                                       ", closed" if self._handle is None else "")
