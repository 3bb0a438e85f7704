"""What runs on the workers: the plugin that holds the model (loaded once
per worker) and the tasks (read lengths, score a batch).

Tasks find the plugin by its name on the worker they run on
(distributed.get_worker().plugins). A worker runs tasks in threads, so
each thread gets its own Session of the one Model (a Session is used by one
thread at a time).
"""
import os
import threading
import time

import numpy as np
from distributed import WorkerPlugin, get_worker

from .. import errors
from ..model import Model
from ..session import Session
from .errors import ItemError
from .items import layout_of, load, npy_length
from .store import write_outputs


class SessionPlugin(WorkerPlugin):
    """Loads the model (``seqrt.Model(model, weights)``) when it is set up
    on a worker and opens sessions on ``device`` (None: the worker's
    ``$SEQRT_BACKEND``, else auto), one per worker thread. A device that is
    unavailable on the worker fails the setup (the registration raises)."""

    def __init__(self, model, weights=None, device=None):
        self.model_path, self.weights, self.device = model, weights, device

    def setup(self, worker):
        self.model = Model(self.model_path, self.weights)
        self.layout = layout_of(self.model)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions = []
        self.session()          # the device is tried now, not at the first task

    def teardown(self, worker):
        with self._lock:
            for s in self._sessions:
                s.close()
            self._sessions = []
        self.model.close()

    def session(self):
        s = getattr(self._local, "session", None)
        if s is None:
            s = Session(self.model, self.device)
            with self._lock:
                self._sessions.append(s)
            self._local.session = s
        return s


def plugin(name):
    p = get_worker().plugins.get(name)
    if p is None or not hasattr(p, "layout"):
        raise errors.InvalidArgumentError("seqrt.dask: worker %s has no model plugin '%s' (its setup failed "
                                          "or it was unregistered)" % (get_worker().address, name))
    return p


def describe(name):
    """The model's Layout and the device the worker's session runs on."""
    p = plugin(name)
    return p.layout, p.session().device.id


def lengths(name, indexed_paths):
    """[(index, T)] for .npy paths, from their headers."""
    lay = plugin(name).layout
    return [(i, npy_length(i, path, lay)) for i, path in indexed_paths]


def batch_inputs(lay, seqs):
    """The run inputs of a batch: the sequences zero-padded to the longest
    (the lengths input says how long each is), batch first or time first
    as the model is."""
    Ts = [len(s) for s in seqs]
    T, B = max(Ts), len(seqs)
    feat = tuple(lay.item_shape[1:])
    x = np.zeros(((B, T) if lay.batch_axis == 0 else (T, B)) + feat, lay.dtype)
    for b, s in enumerate(seqs):
        if lay.batch_axis == 0:
            x[b, :len(s)] = s
        else:
            x[:len(s), b] = s
    inputs = {lay.input: x}
    if lay.lengths is not None:
        inputs[lay.lengths] = np.array(Ts, np.int32)
    elif len(set(Ts)) > 1:
        raise errors.InternalError("seqrt.dask: a batch of lengths %s for a model without lengths" % sorted(set(Ts)))
    return inputs


def _run(session, lay, seqs, batch):
    try:
        return session.run(batch_inputs(lay, seqs))
    except errors.Error as e:
        if e.status not in (errors.ERR_RANGE, errors.ERR_SHAPE):   # not an item's values: the batch's error
            raise
        if len(seqs) == 1:
            raise ItemError.of(batch[0][0], batch[0][1], str(e), e.status) from None
        for s, (index, item, _) in zip(seqs, batch):     # which one: each alone
            try:
                session.run(batch_inputs(lay, [s]))
            except errors.Error as e1:
                raise ItemError.of(index, item, str(e1), e1.status) from None
        raise


def rows_of(lay, out, Ts):
    """Each batch entry's outputs, without the batch axis, its time axes cut
    to the entry's length (the padding dropped): views into the batch's
    arrays (no copy; entries do not overlap)."""
    rows = [{} for _ in Ts]
    for o in lay.outputs:
        a = out[o.name]
        for b, T in enumerate(Ts):
            index = tuple(b if ax == o.batch_axis else slice(0, T) if ax in o.time_axes else slice(None)
                          for ax in range(a.ndim))
            rows[b][o.name] = a[index]
    return rows


def pack(batch):
    """`batch` ([(index, item, out_name)]) for the trip to a worker: the
    items that are arrays (sequences checked on the client) go as one
    array and their lengths, not one array each (each array is a message
    part of its own: thousands of small ones cost more than the run)."""
    arrays = [it for _, it, _ in batch if isinstance(it, np.ndarray)]
    if len(arrays) < 2:
        return batch
    return {"batch": [(i, None if isinstance(it, np.ndarray) else it, n) for i, it, n in batch],
            "data": np.concatenate(arrays), "lengths": [len(a) for a in arrays]}


def unpack(batch):
    if not isinstance(batch, dict):
        return batch
    arrays = iter(np.split(batch["data"], np.cumsum(batch["lengths"])[:-1]))
    return [(i, next(arrays) if it is None else it, n) for i, it, n in batch["batch"]]


def run_batch(name, batch, output_dir=None, job="", fsync=False, timed=False):
    """Scores `batch`, a list of (index, item, out_name) (or pack()'s form
    of it), as one padded batch. Returns {"indices", "lengths", "seconds", "elapsed"} and either "outputs"
    (the batch's outputs, split per item by the client: a few arrays travel
    instead of a few per item) or, with `output_dir`, "paths" (each item's
    file). "seconds" is the task's time; with `timed` the batch runs three
    times and counts its fastest run after the first (which prepares the
    shape), so that a busy moment on the worker does not skew the measure."""
    start = time.perf_counter()
    p = plugin(name)
    lay, session = p.layout, p.session()
    batch = unpack(batch)
    seqs = [load(index, item, lay) for index, item, _ in batch]
    t = time.perf_counter()
    out = _run(session, lay, seqs, batch)
    spent = time.perf_counter() - t
    if timed:
        runs = []
        for _ in range(2):
            t = time.perf_counter()
            out = _run(session, lay, seqs, batch)
            runs.append(time.perf_counter() - t)
        spent += sum(runs) - min(runs)
    Ts = [len(s) for s in seqs]
    res = {"indices": [index for index, _, _ in batch], "lengths": Ts}
    if output_dir is not None:
        os.makedirs(output_dir, exist_ok=True)
        res["paths"] = [write_outputs(output_dir, out_name, r, job, fsync)
                        for (_, _, out_name), r in zip(batch, rows_of(lay, out, Ts))]
    else:
        res["outputs"] = out
    res["elapsed"] = time.perf_counter() - start
    res["seconds"] = res["elapsed"] - spent
    return res
