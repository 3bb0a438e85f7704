"""seqrt.StreamPool (docs/streams.md): each column of a golden batch run as
a stream of its own, in chunks of different lengths, stepped together with
the others, gives that column of the golden (PyTorch) outputs; a pool agrees
with solo streaming sessions; eviction on a driven clock, save/restore,
string ids, threads, and every bad input raising the class of its status
with a message naming the stream."""
import threading

import numpy as np
import pytest

import seqrt
from conftest import assert_close, available_devices, golden_dir, golden_expected, golden_inputs, golden_tolerance

DEVICES = [d for d in available_devices() if d.split(":")[0] in ("reference", "onednn")] or available_devices()[:1]
CHARLM = "charlm_embedding_lstm_linear"


def exact(device):
    return device.startswith("reference")


def _chunks(T, seed):
    """Chunk boundaries of a T-step sequence: lengths 1..4."""
    rng = np.random.default_rng(seed)
    bounds = [0]
    while bounds[-1] < T:
        bounds.append(min(T, bounds[-1] + int(rng.integers(1, 5))))
    return bounds


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", [CHARLM, "lstm_peephole_proj_batch_first", "lstm_clip_peephole_acts", "gru_plain"])
def test_columns_as_streams_equal_golden(case, device):
    model = seqrt.Model(golden_dir(case) + "/model.json")
    inputs, expected = golden_inputs(case, model), golden_expected(case, model)
    atol, rtol = golden_tolerance(case)
    seq = [s for s in model.inputs if s.time_axis is not None]
    assert len(seq) == 1
    x = inputs[seq[0].name]
    ta = seq[0].time_axis
    ba = 1 - ta
    T, B = x.shape[ta], x.shape[ba]
    with seqrt.StreamPool(model, device, capacity=B) as pool:
        # the golden's h0/c0 (when the model takes them), column b per stream
        for b in range(B):
            states = {}
            for st in pool.states:
                if st.model_input is not None:
                    states[st.name] = inputs[st.model_input][:, b:b + 1, :]
            pool.start(b, states or None)
        bounds = {b: _chunks(T, 10 + b) for b in range(B)}
        pos = {b: 0 for b in range(B)}
        got = {b: {o.name: [] for o in model.outputs} for b in range(B)}
        step = 0
        while any(pos[b] + 1 < len(bounds[b]) for b in range(B)):
            # streams take turns: stream b sits out every third step
            chunks = {}
            for b in range(B):
                if pos[b] + 1 < len(bounds[b]) and (step + b) % 3 != 2:
                    lo, hi = bounds[b][pos[b]], bounds[b][pos[b] + 1]
                    chunks[b] = np.take(np.take(x, np.arange(lo, hi), axis=ta), [b], axis=ba)
                    pos[b] += 1
            step += 1
            if not chunks:
                continue
            for b, out in pool.step(chunks).items():
                for o in model.outputs:
                    got[b][o.name].append(out[o.name])
        for o in model.outputs:
            for b in range(B):
                parts = got[b][o.name]
                if o.time_axis is None:  # final states: the last chunk's
                    g, e = parts[-1], expected[o.name][:, b:b + 1]
                else:
                    g = np.concatenate(parts, axis=o.time_axis)
                    e = np.take(expected[o.name], [b], axis=1 - o.time_axis)
                assert_close(g, e, atol, rtol, "%s on %s, stream %d, output %s" % (case, device, b, o.name))
        for b in range(B):
            pool.end(b)
        assert pool.open_count == 0


@pytest.mark.parametrize("device", DEVICES)
def test_pool_equals_solo_sessions(device):
    model = seqrt.Model(golden_dir(CHARLM) + "/model.json")
    rng = np.random.default_rng(5)
    pool = seqrt.StreamPool(model, device, capacity=8)
    solos = {}
    for step in range(8):
        if step < 5:
            sid = "user-%d" % step
            pool.start(sid)
            solos[sid] = seqrt.Session(model, device, streaming=True)
        chunks = {sid: rng.integers(0, 12, (int(rng.integers(1, 4)), 1)).astype(np.int32)
                  for sid in solos if rng.random() < 0.8}
        outs = pool.step(chunks)
        for sid, c in chunks.items():
            want = solos[sid].run({"tokens": c})
            for name, w in want.items():
                if exact(device):
                    assert np.array_equal(outs[sid][name], w), (sid, step, name)
                else:
                    assert_close(outs[sid][name], w, 1e-4, 1e-3, "%s step %d %s" % (sid, step, name))
    for s in solos.values():
        s.close()
    pool.close()
    model.close()


def test_errors_name_the_stream():
    model = seqrt.Model(golden_dir(CHARLM) + "/model.json")
    now = [100.0]
    pool = seqrt.StreamPool(model, "reference", capacity=2, idle_timeout=10, clock=lambda: now[0])
    tok = np.array([[1], [2]], np.int32)
    pool.start("a")
    pool.step({"a": tok})
    with pytest.raises(seqrt.InvalidArgumentError, match="stream 'b' is not open"):
        pool.step({"b": tok})
    with pytest.raises(seqrt.InvalidArgumentError, match="stream 'a' is already open"):
        pool.start("a")
    with pytest.raises(seqrt.ShapeError, match="stream 'a'.*batch of one"):
        pool.step({"a": np.zeros((2, 2), np.int32)})
    with pytest.raises(seqrt.ShapeError, match="stream 'a'.*int32"):
        pool.step({"a": np.zeros((2, 1), np.float32)})
    with pytest.raises(seqrt.RangeError, match="stream 'a'"):
        pool.step({"a": np.array([[99]], np.int32)})
    saved = pool.get_state("a")
    assert [s.shape for s in pool.states] == [(2, 1, 8), (2, 1, 8)]
    bad = {pool.states[0].name: np.zeros((2, 1, 9), np.float32)}
    with pytest.raises(seqrt.ShapeError, match="stream 'a'"):
        pool.set_state("a", bad)
    with pytest.raises(seqrt.ShapeError, match="stream 'c'"):
        pool.start("c", bad)
    assert not pool.is_open("c")
    pool.start("c")
    with pytest.raises(seqrt.LimitError, match="stream 'd'.*full"):
        pool.start("d")
    # nothing above changed stream a
    after = pool.get_state("a")
    for k in saved:
        assert np.array_equal(saved[k], after[k])
    # eviction on the driven clock: a stepped at 100, c started at 100
    now[0] = 105.0
    pool.step({"a": tok})
    now[0] = 112.0
    assert pool.evict_idle() == 1
    with pytest.raises(seqrt.InvalidArgumentError, match="stream 'c' was evicted"):
        pool.step({"c": tok})
    pool.end("a")
    with pytest.raises(seqrt.InvalidArgumentError, match="stream 'a' has ended"):
        pool.end("a")
    pool.close()
    with pytest.raises(seqrt.InvalidArgumentError, match="closed"):
        pool.start("a")
    bidir = seqrt.Model(golden_dir("gru_bidir2_lengths_h0") + "/model.json")
    with pytest.raises(seqrt.UnsupportedError, match="stream pool.*bidirectional"):
        seqrt.StreamPool(bidir, "reference")
    fixed = seqrt.Model(golden_dir("lstm_2layer_h0") + "/model.json")  # [6, 3, 4]: no batch to gather along
    with pytest.raises(seqrt.UnsupportedError, match="no symbolic batch"):
        seqrt.StreamPool(fixed, "reference")


def test_save_restore_and_evict_oldest():
    model = seqrt.Model(golden_dir(CHARLM) + "/model.json")
    pool = seqrt.StreamPool(model, "reference", capacity=2, evict_oldest=True)
    rng = np.random.default_rng(1)
    prefix = [rng.integers(0, 12, (3, 1)).astype(np.int32) for _ in range(2)]
    rest = [rng.integers(0, 12, (2, 1)).astype(np.int32) for _ in range(2)]
    pool.start(1)
    for c in prefix:
        pool.step({1: c})
    saved = pool.get_state(1)
    first = [pool.step({1: c})[1]["fc"] for c in rest]
    pool.set_state(1, saved)
    again = [pool.step({1: c})[1]["fc"] for c in rest]
    pool.start(2, saved)  # a new stream from the saved conversation
    other = [pool.step({2: c})[2]["fc"] for c in rest]
    for a, b, c in zip(first, again, other):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    pool.start(3)  # full: stream 1 is the one idle longest
    assert not pool.is_open(1) and pool.is_open(2) and pool.is_open(3)
    with pytest.raises(seqrt.InvalidArgumentError, match="stream 1 was evicted.*full"):
        pool.step({1: rest[0]})
    pool.close()


def test_threads_share_a_pool():
    model = seqrt.Model(golden_dir(CHARLM) + "/model.json")
    pool = seqrt.StreamPool(model, "reference", capacity=8)
    rng = np.random.default_rng(3)
    script = {t: [rng.integers(0, 12, (int(rng.integers(1, 4)), 1)).astype(np.int32) for _ in range(12)]
              for t in range(4)}
    want = {}
    for t, chunks in script.items():
        with seqrt.Session(model, "reference", streaming=True) as s:
            want[t] = [s.run({"tokens": c})["fc"] for c in chunks]
    failures = []

    def work(t):
        try:
            pool.start(t)
            for k, c in enumerate(script[t]):
                got = pool.step({t: c})[t]["fc"]
                if not np.array_equal(got, want[t][k]):
                    failures.append((t, k))
            pool.end(t)
        except Exception as e:  # reported below
            failures.append((t, repr(e)))

    threads = [threading.Thread(target=work, args=(t,)) for t in script]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures
    pool.close()
