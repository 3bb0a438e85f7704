"""seqrt.dask: batch inference over a collection of sequences on a Dask
`distributed` cluster.

    from distributed import Client, LocalCluster
    import seqrt.dask

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        probs = seqrt.dask.run("examples/licence/licence.json", token_lists)   # [{output: array}], input order
        paths = seqrt.dask.run(model, bag_of_npy_paths, output_dir="scores")   # one .npz per item

The model is loaded once per worker (SessionPlugin, a distributed
WorkerPlugin); sequences are grouped by length into batches sized from a
measured cost so that a task takes tens of milliseconds; each item's
outputs are written atomically (temporary file, then os.replace), so a task
that Dask reruns after a worker died never leaves a partial file. A bad
item raises ItemError naming it. docs/scale.md: running it on a real
cluster, one device per worker. ``python3 -m seqrt.dask bench``: the
throughput against one process.
"""
from .errors import ItemError
from .items import Layout, layout_of
from .job import run
from .worker import SessionPlugin

__all__ = ["run", "ItemError", "SessionPlugin", "Layout", "layout_of"]
