"""seqrt.dask.run: score a collection of sequences on a distributed cluster.

The client gathers the items (paths or small sequences, not the data of
the paths), asks a worker for the model's layout, gets each item's length
(from the .npy headers, read on the workers), measures the cost of a batch,
groups the items into batches of similar length and submits one task per
batch. The results come back in input order.
"""
import asyncio
import hashlib
import os
import statistics
import time
import uuid

import distributed

from .. import errors
from . import plan, store, worker
from .items import as_sequence, is_path
from .worker import rows_of

SAMPLE = 8                    # sequences in the first measuring batch
HEADERS_PER_TASK = 500        # .npy headers read by one task


def _collect(items, client):
    """The items as a list: a dask collection (bag, dataframe column) is
    computed on the cluster; a pandas Series or any iterable is listed."""
    import dask
    if dask.is_dask_collection(items):
        items = client.compute(items).result()
    if hasattr(items, "columns"):
        raise errors.InvalidArgumentError("seqrt.dask.run: pass one column of the dataframe (df['tokens']), "
                                          "not the dataframe with columns %s" % list(items.columns))
    if hasattr(items, "iloc"):          # a pandas Series
        return items.tolist()
    return list(items)


def _plugin_name(model, weights, device):
    h = hashlib.sha1()
    for p in (model, weights):
        h.update(repr(p).encode())
        if p is not None:
            try:
                st = os.stat(p)
                h.update(repr((st.st_size, st.st_mtime_ns)).encode())
            except OSError:
                pass
    h.update(repr(device).encode())
    return "seqrt-model-" + h.hexdigest()[:16]


def _names(items, names):
    """Each item's output file name: the given names, else a path's stem,
    else the item's index (zero-padded); duplicates are an error."""
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(items):
            raise errors.InvalidArgumentError("seqrt.dask.run: %d names for %d items" % (len(names), len(items)))
    else:
        width = len(str(len(items) - 1))
        names = [os.path.splitext(os.path.basename(os.fsdecode(it)))[0] if is_path(it) else "%0*d" % (width, i)
                 for i, it in enumerate(items)]
    seen = {}
    for i, n in enumerate(names):
        if not n or "/" in n or n.startswith("."):
            raise errors.InvalidArgumentError("seqrt.dask.run: item %d: output name %r is not a plain file name"
                                              % (i, n))
        if n in seen:
            raise errors.InvalidArgumentError("seqrt.dask.run: items %d and %d would both write %s.npz (pass "
                                              "names=)" % (seen[n], i, n))
        seen[n] = i
    return names


def _lengths(client, name, items, layout):
    """Each item's length; sequences given in memory are checked and
    converted here, .npy paths are read (headers only) on the workers."""
    lengths = [None] * len(items)
    paths = []
    for i, it in enumerate(items):
        if is_path(it):
            items[i] = os.path.abspath(os.fsdecode(it))     # the workers' working directory may differ
            paths.append((i, items[i]))
        else:
            items[i] = as_sequence(i, it, it, layout)
            lengths[i] = len(items[i])
    chunks = [paths[k:k + HEADERS_PER_TASK] for k in range(0, len(paths), HEADERS_PER_TASK)]
    for part in client.gather(client.map(worker.lengths, [name] * len(chunks), chunks, pure=False)):
        for i, T in part:
            lengths[i] = T
    return lengths


class _Job:
    def __init__(self, client, name, layout, items, out_names, output_dir, fsync, deadline):
        self.client, self.name, self.layout, self.items = client, name, layout, items
        self.out_names, self.output_dir, self.fsync, self.deadline = out_names, output_dir, fsync, deadline
        self.id = uuid.uuid4().hex[:12]
        self.results = {}
        self.count = 0

    def submit(self, groups, timed=False):
        """One task per group of indices (one message to the scheduler)."""
        batches = [worker.pack([(i, self.items[i], self.out_names[i] if self.out_names else None) for i in g])
                   for g in groups]
        keys = ["seqrt-batch-%s-%d" % (self.id, self.count + k) for k in range(len(batches))]
        self.count += len(batches)
        k = len(batches)
        return self.client.map(worker.run_batch, [self.name] * k, batches, [self.output_dir] * k, [self.id] * k,
                               [self.fsync] * k, [timed] * k, key=keys, pure=False)

    def wait(self, futures, count=None):
        """Waits until `count` of `futures` (default: all) are done, keeping
        their results (each item's outputs, split here from the batch's, or
        its file); returns (the done tasks' results without their outputs,
        the futures still pending). A failed batch cancels the others and
        raises."""
        pending, done_tasks = set(futures), []
        count = len(pending) if count is None else count
        try:
            while pending and len(done_tasks) < count:
                left = None if self.deadline is None else self.deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError("seqrt.dask.run: %d batches not done in time" % len(pending))
                try:
                    done, pending = distributed.wait(list(pending), timeout=left, return_when="FIRST_COMPLETED")
                except (TimeoutError, asyncio.TimeoutError):
                    continue
                for f in done:
                    r = f.result()
                    if "paths" in r:
                        self.results.update(zip(r["indices"], r.pop("paths")))
                    else:
                        self.results.update(zip(r["indices"], rows_of(self.layout, r.pop("outputs"), r["lengths"])))
                    done_tasks.append(r)
                    f.release()
        except BaseException:
            self.client.cancel(list(pending))
            raise
        return done_tasks, list(pending)


def _measure(job, lengths, padded):
    """(seconds per sequence and step, seconds of the engine's own per
    task), from one timed batch of SAMPLE sequences about the median
    length; the engine's cost is what the round trip takes beyond the
    task's own time. Its results are kept."""
    sample = plan.pick_sample(lengths, min(SAMPLE, len(lengths)), padded)
    t = time.perf_counter()
    (r,), _ = job.wait(job.submit([sample], timed=True))
    overhead = time.perf_counter() - t - r["elapsed"]
    return _step_seconds([r]), overhead


def _step_seconds(tasks):
    """The median over `tasks` of seconds per sequence and (padded) step."""
    return statistics.median(r["seconds"] / (len(r["indices"]) * max(r["lengths"])) for r in tasks)


def _run_measured(job, lengths, padded, target, cap, n_workers):
    """Sizes the batches from the measuring batch, submits a first wave (two
    tasks a worker), re-measures the cost on the first tasks of the wave
    (bigger batches cost less a sequence than the 8 of the measure) while the
    workers keep busy, and sizes the rest from that."""
    step, overhead = _measure(job, lengths, padded)
    seconds = target(overhead)
    groups = plan.batches(lengths, lambda T: plan.batch_size(step, T, seconds, cap), padded, skip=job.results)
    wave = groups[:2 * n_workers]
    futures = job.submit(wave)
    if len(groups) > len(wave):
        first, futures = job.wait(futures, count=min(n_workers, len(wave)))
        step = _step_seconds(first)
        sent = set(job.results).union(*map(set, wave))
        groups = plan.batches(lengths, lambda T: plan.batch_size(step, T, seconds, cap), padded, skip=sent)
        futures += job.submit(groups)
    job.wait(futures)


def run(model, items, client=None, weights=None, device=None, output_dir=None, names=None, batch_size=None,
        task_seconds=None, max_batch=1024, timeout=None, fsync=False):
    """Scores every item of `items` with the model at path `model` on the
    cluster of `client` (default: the current distributed client) and
    returns the results in input order: for each item, {output name: array}
    (the batch axis removed, time axes cut to the item's length) or, with
    `output_dir`, the path of the item's OUTPUT_DIR/NAME.npz, written
    atomically.

    items: a dask.bag or a dask.dataframe column (computed on the cluster),
    a pandas Series or any iterable, of .npy paths (read on the workers) or
    sequences (token lists, arrays): see seqrt.dask.items for the shapes.
    model, weights: paths every worker can read (made absolute here).
    device: the device spec each worker's sessions use (None: the worker's
    $SEQRT_BACKEND, else auto). names: the output files' names (default: a
    path's stem, or the item's index). batch_size: sequences per task
    (default: derived from a measured batch so that a task takes about
    `task_seconds`, at most `max_batch`). task_seconds: default
    plan.target_seconds of the measured cost of a task to the engine (the
    round trip beyond the task's own time): ten times that, within 0.05 and
    1 s. timeout: seconds for the whole job
    (TimeoutError). fsync: make each output file durable before its rename.

    A bad item raises seqrt.dask.ItemError naming it (its index and path or
    shape) and the cause; a worker that dies is replaced by Dask and its
    tasks rerun elsewhere."""
    client = client if client is not None else distributed.get_client()
    deadline = None if timeout is None else time.monotonic() + timeout
    model = os.path.abspath(os.fspath(model))
    weights = os.path.abspath(os.fspath(weights)) if weights is not None else None
    items = _collect(items, client)
    if not items:
        return []
    n_workers = len(client.scheduler_info()["workers"])
    if n_workers == 0:
        raise errors.UnavailableError("seqrt.dask.run: the cluster at %s has no workers" % client.scheduler.address)
    name = _plugin_name(model, weights, device)
    # a lambda travels by value: the scheduler's machine needs no seqrt
    if not client.run_on_scheduler(lambda dask_scheduler, n=name: n in dask_scheduler.worker_plugins):
        try:
            client.register_worker_plugin(worker.SessionPlugin(model, weights, device), name=name)
        except BaseException:       # a model or device that fails: not kept for the workers to come
            try:
                client.unregister_worker_plugin(name)
            except Exception:
                pass
            raise
    layout, _ = client.submit(worker.describe, name, pure=False).result()
    out_names = None
    if output_dir is not None:
        output_dir = os.path.abspath(os.fspath(output_dir))
        out_names = _names(items, names)
    lengths = _lengths(client, name, items, layout)
    padded = layout.lengths is not None
    cap = plan.balance_cap(len(items), n_workers, max_batch)
    job = _Job(client, name, layout, items, out_names, output_dir, fsync, deadline)
    target = (lambda overhead: task_seconds) if task_seconds is not None else plan.target_seconds  # noqa: E731
    try:
        if batch_size is None:
            _run_measured(job, lengths, padded, target, cap, n_workers)
        else:
            if int(batch_size) < 1:
                raise errors.InvalidArgumentError("seqrt.dask.run: batch_size %r is not >= 1" % (batch_size,))
            job.wait(job.submit(plan.batches(lengths, lambda T: int(batch_size), padded)))
    except BaseException:
        if output_dir is not None:
            try:
                client.run(store.remove_temporaries, output_dir, job.id)
            except Exception:   # the job's own error is the one to report
                pass
        raise
    if output_dir is not None:
        client.run(store.remove_temporaries, output_dir, job.id)
    return [job.results[i] for i in range(len(items))]
