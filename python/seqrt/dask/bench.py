"""python3 -m seqrt.dask bench: scoring N short sequences on a LocalCluster
of W worker processes against one process scoring the same sequences.

The single process runs the same length buckets in batches of
``--max-batch`` through one Session (all of the machine's threads); the
cluster runs seqrt.dask.run (W workers, one task thread each, the CPUs
split between them with SEQRT_NUM_THREADS). Both include reading the
sequences and splitting the outputs per item; neither writes files. A
third run splits the items over W plain processes (multiprocessing, no
engine): the most W processes can give on this machine, so that the
engine's own cost can be told from the machine's. The runs are
interleaved (single, cluster, plain, single, ...) and the ratios of each
round are reported, with the median and the minimum, so that a machine
shared with other work still gives a fair comparison.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

from .. import Model, Session
from . import plan
from .items import as_sequence, layout_of
from .job import run
from .worker import batch_inputs, rows_of

HERE = os.path.dirname(os.path.abspath(__file__))
LICENCE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "examples", "licence", "licence.json"))


def sequences(model, n, lo, hi, seed):
    """`n` random sequences of lengths lo..hi for the model's input: ids
    below the embedding's size for an id input, normal floats otherwise."""
    lay = layout_of(model)
    rng = np.random.default_rng(seed)
    Ts = rng.integers(lo, hi + 1, size=n)
    if lay.dtype.kind == "i":
        vocab = min([l.attributes.get("num_embeddings", 2 ** 31 - 1) for l in model.layers
                     if l.op == "embedding"] or [2])
        return [rng.integers(0, vocab, size=int(T)).astype(lay.dtype) for T in Ts]
    return [rng.standard_normal((int(T),) + tuple(lay.item_shape[1:])).astype(lay.dtype) for T in Ts]


def single_process(model, session, items, max_batch):
    """The same work in this process: length buckets, batches of max_batch."""
    lay = layout_of(model)
    seqs = [as_sequence(i, it, it, lay) for i, it in enumerate(items)]
    lengths = [len(s) for s in seqs]
    results = [None] * len(seqs)
    for g in plan.batches(lengths, lambda T: max_batch, lay.lengths is not None):
        out = session.run(batch_inputs(lay, [seqs[i] for i in g]))
        for i, r in zip(g, rows_of(lay, out, [lengths[i] for i in g])):
            results[i] = r
    return results


_local = {}


def _split_init(model_path, device, threads):
    os.environ["SEQRT_NUM_THREADS"] = str(threads)      # before this process loads libseqrt
    _local["model"] = Model(model_path)
    _local["session"] = Session(_local["model"], device)


def _split_work(items, max_batch):
    return single_process(_local["model"], _local["session"], items, max_batch)


def split_processes(pool, items, workers, max_batch):
    """The machine's parallel ceiling: `workers` plain processes, each the
    single-process loop on every workers-th item, no engine in between."""
    parts = pool.starmap(_split_work, [(items[w::workers], max_batch) for w in range(workers)])
    out = [None] * len(items)
    for w, part in enumerate(parts):
        out[w::workers] = part
    return out


def _max_diff(a, b):
    return max(float(np.max(np.abs(x[k] - y[k]))) for x, y in zip(a, b) for k in x)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m seqrt.dask bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=LICENCE, help="model description (default: examples/licence)")
    ap.add_argument("-n", "--sequences", type=int, default=10000)
    ap.add_argument("--min-length", type=int, default=5)
    ap.add_argument("--max-length", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--device", default=None, help="device spec (default: $SEQRT_BACKEND, else auto)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-batch", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    from distributed import Client, LocalCluster

    model = Model(a.model)
    items = sequences(model, a.sequences, a.min_length, a.max_length, a.seed)
    steps = sum(len(s) for s in items)
    cpus = len(os.sched_getaffinity(0))
    per_worker = max(1, cpus // a.workers)
    session = Session(model, a.device)
    print("seqrt.dask bench: %s, %d sequences (%d..%d steps, %d in all), device %s; one process (%s threads) vs "
          "%d workers x 1 task thread (SEQRT_NUM_THREADS=%d)" % (
              model.name, len(items), a.min_length, a.max_length, steps, session.device.id,
              os.environ.get("SEQRT_NUM_THREADS", "default"), a.workers, per_worker), flush=True)
    import multiprocessing
    pool = multiprocessing.get_context("spawn").Pool(a.workers, _split_init, (a.model, a.device, per_worker))
    with pool, LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40, env={"SEQRT_NUM_THREADS": str(per_worker)}) as cluster, \
            Client(cluster) as client:
        kw = dict(client=client, device=a.device, max_batch=a.max_batch)
        single_process(model, session, items[:500], a.max_batch)        # warm-up, both sides
        run(a.model, items[:500], **kw)
        split_processes(pool, items[:500], a.workers, a.max_batch)
        ratios, ceilings = [], []
        for r in range(a.repeats):
            t = time.perf_counter()
            ref = single_process(model, session, items, a.max_batch)
            t_single = time.perf_counter() - t
            t = time.perf_counter()
            got = run(a.model, items, **kw)
            t_dask = time.perf_counter() - t
            t = time.perf_counter()
            split = split_processes(pool, items, a.workers, a.max_batch)
            t_split = time.perf_counter() - t
            ratios.append(t_single / t_dask)
            ceilings.append(t_single / t_split)
            print("  round %d: one process %.3f s (%.0f seq/s), dask %.3f s (%.0f seq/s), %d plain processes "
                  "%.3f s: dask/one %.2f, plain/one %.2f; max |diff| %.2g, %.2g" % (
                      r + 1, t_single, len(items) / t_single, t_dask, len(items) / t_dask, a.workers, t_split,
                      ratios[-1], ceilings[-1], _max_diff(ref, got), _max_diff(ref, split)), flush=True)
    print("dask / one process throughput: median %.2f, min %.2f; %d plain processes / one: median %.2f "
          "(the machine's parallel ceiling; of %d rounds)" % (
              statistics.median(ratios), min(ratios), a.workers, statistics.median(ceilings), len(ratios)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
