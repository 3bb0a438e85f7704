"""seqrt.dask on a LocalCluster (127.0.0.1, 2 worker processes, 1 thread
each, no dashboard): results against the goldens' values (PyTorch, the
spec's float64 NumPy) and against single-process Sessions and `seqrt run`
on the same inputs (bitwise, reference backend), dask.bag and dask.dataframe inputs,
atomic output files, a worker killed mid-job, bad items named.

Every wait is bounded (the job's timeout, the cluster's start); nothing
asserts on timing."""
import glob
import os
import signal
import stat
import threading
import time

import numpy as np
import pytest

from conftest import GOLDEN, golden_tolerance, assert_close

distributed = pytest.importorskip("distributed", reason="python3-distributed is not installed "
                                  "(tools/install_deps.sh installs it)")

import seqrt  # noqa: E402
import seqrt.dask  # noqa: E402
from seqrt.dask import plan, store  # noqa: E402

DEVICE = "reference"
JOB_TIMEOUT = 60
REVERSE = os.path.join(GOLDEN, "lstm_reverse_lengths")                 # x [T, B, 4] + lengths, reverse LSTM
BATCH_FIRST = os.path.join(GOLDEN, "rnn_tanh_lengths_batch_first")     # x [B, T, 3] + lengths
CHARLM = os.path.join(GOLDEN, "charlm_embedding_lstm_linear")          # tokens [T, B], no lengths


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40)
    c = distributed.Client(cluster, timeout=60)
    try:
        c.wait_for_workers(2, timeout=60)
        yield c
    finally:
        c.close()
        cluster.close()


def model_path(case):
    return os.path.join(case, "model.json")


def solo(model, seq, batch_first):
    """One sequence alone through a single-process Session (B = 1), the
    batch axis removed."""
    x = np.asarray(seq)[None] if batch_first else np.asarray(seq)[:, None]
    inputs = {model.inputs[0].name: x}
    if len(model.inputs) > 1:
        inputs[model.inputs[1].name] = np.array([len(seq)], np.int32)
    with seqrt.Session(model, DEVICE) as s:
        out = s.run(inputs)
    return {o.name: np.take(out[o.name], 0, axis=o.shape.index("B")) for o in model.outputs}


def assert_same(got, want, what):
    assert sorted(got) == sorted(want), what
    for k in want:
        assert got[k].shape == want[k].shape, "%s %s: shape %s, expected %s" % (what, k, got[k].shape, want[k].shape)
        assert np.array_equal(got[k], want[k]), "%s %s differs from the single-process run" % (what, k)


def random_rows(n, feat, seed, lo=1, hi=15):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((int(rng.integers(lo, hi + 1)), feat)).astype(np.float32) for _ in range(n)]


def test_golden_rows_padded(client):
    """Each golden batch entry alone as an item: the values PyTorch / the
    spec's float64 implementation computed for that entry, its padding cut."""
    for case, batch_first in ((REVERSE, False), (BATCH_FIRST, True)):
        x = np.load(os.path.join(case, "input.x.npy"))
        lengths = np.load(os.path.join(case, "input.lengths.npy"))
        rows = [b for b in range(len(lengths)) if lengths[b] > 0]
        items = [x[b, :lengths[b]] if batch_first else x[:lengths[b], b] for b in rows]
        got = seqrt.dask.run(model_path(case), items, device=DEVICE, timeout=JOB_TIMEOUT)
        atol, rtol = golden_tolerance(os.path.basename(case))
        for r, b in zip(got, rows):
            for name in r:
                e = np.load(os.path.join(case, "expected.%s.npy" % name.replace(":", ".")))
                if name == "rnn":
                    e = e[b, :lengths[b]] if batch_first else e[:lengths[b], b]
                else:
                    e = e[:, b]
                assert_close(r[name], e, atol, rtol, "%s row %d %s" % (os.path.basename(case), b, name))


def test_golden_rows_exact_lengths(client):
    """A model without lengths (no padding allowed): token lists; the
    golden's PyTorch values per batch entry."""
    tokens = np.load(os.path.join(CHARLM, "input.tokens.npy"))
    items = [tokens[:, b].tolist() for b in range(tokens.shape[1])]
    got = seqrt.dask.run(model_path(CHARLM), items, device=DEVICE, timeout=JOB_TIMEOUT)
    atol, rtol = golden_tolerance("charlm_embedding_lstm_linear")
    for b, r in enumerate(got):
        for name in ("fc", "rnn:h_n", "rnn:c_n"):
            e = np.load(os.path.join(CHARLM, "expected.%s.npy" % name.replace(":", ".")))[:, b]
            assert_close(r[name], e, atol, rtol, "charlm row %d %s" % (b, name))


def test_variable_lengths_equal_single_process(client):
    """Many lengths (1..15) through the measured batch size and the length
    buckets: every item equals its single-process B = 1 run, bitwise, in
    input order."""
    model = seqrt.Model(model_path(REVERSE))
    items = random_rows(120, 4, seed=1)
    got = seqrt.dask.run(model_path(REVERSE), items, device=DEVICE, timeout=JOB_TIMEOUT)
    assert len(got) == len(items)
    for i, (seq, r) in enumerate(zip(items, got)):
        assert_same(r, solo(model, seq, False), "item %d" % i)

    lm = seqrt.Model(model_path(CHARLM))
    rng = np.random.default_rng(2)
    tokens = [rng.integers(0, 12, size=int(rng.integers(1, 9))).tolist() for _ in range(60)]
    got = seqrt.dask.run(model_path(CHARLM), tokens, device=DEVICE, timeout=JOB_TIMEOUT)
    for i, (seq, r) in enumerate(zip(tokens, got)):
        assert_same(r, solo(lm, np.array(seq, np.int32), False), "token item %d" % i)


def test_equals_seqrt_run(client, tmp_path):
    """The same items through the command line, one `seqrt run` each (the
    CLI beside $SEQRT_LIBRARY's build): the same bytes."""
    import subprocess
    lib = os.environ.get("SEQRT_LIBRARY", seqrt.library_path())
    cli = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(lib))), "bin", "seqrt")
    if not os.access(cli, os.X_OK):
        pytest.skip("no seqrt command beside %s" % lib)
    items = random_rows(4, 4, seed=7, lo=2, hi=9)
    got = seqrt.dask.run(model_path(REVERSE), items, device=DEVICE, timeout=JOB_TIMEOUT)
    for i, (seq, r) in enumerate(zip(items, got)):
        d = tmp_path / str(i)
        d.mkdir()
        (d / "out").mkdir()
        np.save(d / "x.npy", seq[:, None])
        np.save(d / "lengths.npy", np.array([len(seq)], np.int32))
        subprocess.run([cli, "run", model_path(REVERSE), "--input", "x=%s" % (d / "x.npy"), "--input",
                        "lengths=%s" % (d / "lengths.npy"), "--output-dir", str(d / "out"), "--backend", DEVICE],
                       check=True, timeout=60)
        for name in r:
            want = np.load(d / "out" / (name.replace(":", ".") + ".npy"))
            assert np.array_equal(r[name], np.take(want, 0, axis=1)), "item %d %s differs from seqrt run" % (i, name)


def write_npys(d, items):
    paths = []
    for i, a in enumerate(items):
        p = os.path.join(d, "seq%03d.npy" % i)
        np.save(p, a)
        paths.append(p)
    return paths


def test_bag_dataframe_and_files(client, tmp_path):
    """A dask.bag of .npy paths, written to OUTPUT_DIR/<stem>.npz, and a
    dask.dataframe column of token lists: the same values as lists."""
    import dask.bag
    model = seqrt.Model(model_path(REVERSE))
    items = random_rows(40, 4, seed=3)
    paths = write_npys(str(tmp_path), items)
    out = tmp_path / "out"
    written = seqrt.dask.run(model_path(REVERSE), dask.bag.from_sequence(paths, npartitions=3), device=DEVICE,
                             output_dir=str(out), timeout=JOB_TIMEOUT)
    assert written == [str(out / ("seq%03d.npz" % i)) for i in range(len(items))]
    assert not [p for p in os.listdir(out) if not p.endswith(".npz")], "temporary files left"
    for i, (seq, p) in enumerate(zip(items, written)):
        with np.load(p) as z:
            assert_same({k.replace("rnn.", "rnn:"): z[k] for k in z.files}, solo(model, seq, False), "file %d" % i)

    pd = pytest.importorskip("pandas", reason="python3-pandas is not installed (tools/install_deps.sh installs it)")
    import dask.dataframe as dd
    rng = np.random.default_rng(4)
    tokens = [rng.integers(0, 12, size=int(rng.integers(1, 9))).tolist() for _ in range(30)]
    df = dd.from_pandas(pd.DataFrame({"tokens": tokens, "other": range(30)}), npartitions=2)
    got = seqrt.dask.run(model_path(CHARLM), df["tokens"], device=DEVICE, timeout=JOB_TIMEOUT)
    lm = seqrt.Model(model_path(CHARLM))
    for i, (seq, r) in enumerate(zip(tokens, got)):
        assert_same(r, solo(lm, np.array(seq, np.int32), False), "dataframe row %d" % i)
    with pytest.raises(seqrt.InvalidArgumentError, match="one column"):
        seqrt.dask.run(model_path(CHARLM), df, device=DEVICE, timeout=JOB_TIMEOUT)


def test_bad_items_named(client, tmp_path):
    items = random_rows(10, 4, seed=5)
    paths = write_npys(str(tmp_path), items)
    missing = str(tmp_path / "nope.npy")
    with pytest.raises(seqrt.dask.ItemError) as e:
        seqrt.dask.run(model_path(REVERSE), paths[:4] + [missing] + paths[4:], device=DEVICE, timeout=JOB_TIMEOUT)
    assert e.value.index == 4 and "nope.npy" in str(e.value) and "No such file" in str(e.value)
    assert e.value.status == seqrt.FileError.status

    wrong = str(tmp_path / "wrong.npy")
    np.save(wrong, np.zeros((6, 5), np.float32))            # 5 features, the model takes 4
    with pytest.raises(seqrt.dask.ItemError) as e:
        seqrt.dask.run(model_path(REVERSE), paths[:7] + [wrong], device=DEVICE, timeout=JOB_TIMEOUT)
    assert e.value.index == 7 and "wrong.npy" in str(e.value) and "[6, 5]" in str(e.value)
    assert "[T, 4]" in str(e.value) and e.value.status == seqrt.ShapeError.status

    with pytest.raises(seqrt.dask.ItemError, match=r"item 2 \(ndarray of shape \(3, 4, 2\)\): shape \[3, 4, 2\]"):
        seqrt.dask.run(model_path(REVERSE), items[:2] + [np.zeros((3, 4, 2), np.float32)], device=DEVICE)
    with pytest.raises(seqrt.dask.ItemError, match="item 1 .*integer ids"):
        seqrt.dask.run(model_path(CHARLM), [[1, 2], [0.5, 1.0]], device=DEVICE)
    with pytest.raises(seqrt.dask.ItemError, match="item 0 .*empty sequence"):
        seqrt.dask.run(model_path(CHARLM), [[], [1]], device=DEVICE)
    # an id outside the vocabulary (12): found by the library in the batch, then named by the item
    with pytest.raises(seqrt.dask.ItemError, match=r"item 2 .*id 99 .*outside \[0, 12\)") as e:
        seqrt.dask.run(model_path(CHARLM), [[1, 2, 3], [4, 5, 6], [7, 99, 8], [1, 1, 1]], device=DEVICE,
                       batch_size=4, timeout=JOB_TIMEOUT)
    assert e.value.status == seqrt.RangeError.status and "99" in str(e.value)
    with pytest.raises(seqrt.InvalidArgumentError, match="'h0'"):
        seqrt.dask.run(os.path.join(GOLDEN, "rnn_reverse_h0", "model.json"), [np.zeros((2, 4))], device=DEVICE)


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    """A write that fails half-way leaves neither a partial OUTPUT.npz nor
    its temporary; an earlier complete file stays whole."""
    good = {"rnn": np.arange(6, dtype=np.float32)}
    path = store.write_outputs(str(tmp_path), "a", good, job="j1")
    before = open(path, "rb").read()

    def half(f, **arrays):
        f.write(b"PK\x03\x04 partial")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", half)
    with pytest.raises(seqrt.FileError, match="No space left"):
        store.write_outputs(str(tmp_path), "a", {"rnn": np.zeros(3, np.float32)}, job="j1")
    with pytest.raises(seqrt.FileError):
        store.write_outputs(str(tmp_path), "b", good, job="j1")
    assert sorted(os.listdir(tmp_path)) == ["a.npz"]
    assert open(path, "rb").read() == before
    (tmp_path / ".c.npz.j2-dead.tmp").write_bytes(b"left by a killed task")
    assert store.remove_temporaries(str(tmp_path), "j1") == 0
    assert store.remove_temporaries(str(tmp_path), "j2") == 1


def test_plan():
    lengths = [5, 3, 3, 9, 4, 3, 12, 6, 3, 10]
    exact = plan.batches(lengths, lambda T: 2, padded=False)
    assert sorted(i for g in exact for i in g) == list(range(10))
    for g in exact:
        assert len({lengths[i] for i in g}) == 1 and len(g) <= 2
    padded = plan.batches(lengths, lambda T: 3, padded=True)
    assert sorted(i for g in padded for i in g) == list(range(10))
    for g in padded:
        Ts = [lengths[i] for i in g]
        assert len(g) <= 3 and max(Ts) <= max(min(Ts) + 1, min(Ts) * (1 + plan.PAD))
    assert plan.batches(lengths, lambda T: 10, padded=True, skip={1, 2, 5, 8}) == [[4, 0], [7], [3, 9], [6]]
    # 0.05 s per task at 1 ms per sequence-step of 10 steps: 5 sequences; the cap and the floor of 1
    assert plan.batch_size(1e-3, 10, 0.05, 256) == 5
    assert plan.batch_size(1e-3, 1000, 0.05, 256) == 1
    assert plan.batch_size(1e-9, 10, 0.05, 256) == 256
    assert plan.balance_cap(10000, 2, 256) == 256 and plan.balance_cap(80, 2, 256) == 10


# ---------------------------------------------------------------- a worker killed mid-job

def _holders(fifo):
    """The processes that have `fifo` open."""
    out = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                try:
                    if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == fifo:
                        out.add(int(pid))
                except OSError:
                    pass
        except OSError:
            pass
    return out


def _reader_pid(fifo, pids, deadline):
    """The worker process (one of `pids`) that has `fifo` open."""
    while time.monotonic() < deadline:
        found = _holders(fifo) & pids
        if found:
            return found.pop()
        time.sleep(0.01)
    return None


def _wait_closed(fifo, deadline):
    me = os.getpid()
    while time.monotonic() < deadline and _holders(fifo) - {me}:
        time.sleep(0.01)


def _serve_fifo(fifo, data, pids, log, stop, deadline):
    """Feeds `data` to each reader of `fifo`, except the second: that one's
    worker process is killed (SIGKILL) while its task reads the item. The
    first read is the job's length probe (the .npy header), the second the
    batch that holds the item; later ones are Dask's rerun."""
    reads = 0
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:            # ENXIO: no reader yet
            time.sleep(0.005)
            continue
        reads += 1
        try:
            if reads == 2:
                pid = _reader_pid(fifo, pids, deadline)
                log.append(("killed", pid))
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)
                continue
            os.set_blocking(fd, True)
            try:
                os.write(fd, data)
            except BrokenPipeError:      # the probe read the header and closed
                pass
            log.append(("served", reads))
        finally:
            os.close(fd)
        _wait_closed(fifo, deadline)   # this reader has seen the end of the file before the next open


def test_worker_killed_mid_job(client, tmp_path):
    """The worker reading one item is killed in the middle of its task:
    Dask reruns the lost tasks on the other worker (and on the nanny's new
    one); the output is complete, in order, equal to single-process runs,
    and no partial or temporary file is left."""
    model = seqrt.Model(model_path(REVERSE))
    items = random_rows(40, 4, seed=6)
    paths = write_npys(str(tmp_path), items)
    k = 17
    blob = open(paths[k], "rb").read()
    os.unlink(paths[k])
    os.mkfifo(paths[k])
    assert stat.S_ISFIFO(os.stat(paths[k]).st_mode)
    pids = set(client.run(os.getpid).values())
    log, stop = [], threading.Event()
    server = threading.Thread(target=_serve_fifo, daemon=True,
                              args=(paths[k], blob, pids, log, stop, time.monotonic() + JOB_TIMEOUT))
    server.start()
    out = tmp_path / "out"
    try:
        written = seqrt.dask.run(model_path(REVERSE), paths, device=DEVICE, output_dir=str(out), batch_size=4,
                                 timeout=JOB_TIMEOUT)
    finally:
        stop.set()
        server.join(10)
    killed = [pid for what, pid in log if what == "killed"]
    assert len(killed) == 1 and killed[0] in pids, "the test did not kill a worker: %s" % log
    assert ("served", 3) in log, "the killed task was not rerun: %s" % log
    assert sorted(os.listdir(out)) == ["seq%03d.npz" % i for i in range(len(items))]
    for i, (seq, p) in enumerate(zip(items, written)):
        with np.load(p) as z:
            assert_same({k2.replace("rnn.", "rnn:"): z[k2] for k2 in z.files}, solo(model, seq, False), "file %d" % i)
    assert not glob.glob(str(out / ".*"))
    client.wait_for_workers(2, timeout=60)      # the nanny restarted it
