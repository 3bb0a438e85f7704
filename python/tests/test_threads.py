"""The GIL is released during runs; sessions in different threads give the
same results as one thread; concurrent use of one session is refused."""
import sys
import threading
import time

import numpy as np
import pytest

import seqrt
from seqrt import _lib
from conftest import make_lstm


@pytest.fixture(scope="module")
def long_lstm(tmp_path_factory):
    """T=3000, H=128: a run of a noticeable length on the reference backend."""
    model = seqrt.Model(make_lstm(tmp_path_factory.mktemp("long"), input_size=32, hidden_size=128))
    x = np.random.default_rng(1).standard_normal((3000, 1, 32)).astype(np.float32)
    return model, x


class CallProbe:
    """Wraps the library's seqrt_session_run: records the main thread's
    counter immediately before and after the C call itself."""

    def __init__(self, real, counter):
        self.real, self.counter = real, counter
        self.before = self.after = None

    def __call__(self, *args):
        self.before = self.counter[0]
        status = self.real(*args)
        self.after = self.counter[0]
        return status


def test_gil_released_during_run(long_lstm, monkeypatch):
    """Deterministic, no timing threshold: with the switch interval made
    huge, the interpreter never forces a thread switch, so the only way the
    main thread can count while the worker is between `before` and `after`
    is the worker's C call releasing the GIL."""
    model, x = long_lstm
    session = seqrt.Session(model, "reference")
    counter = [0]
    L = _lib.lib()
    probe = CallProbe(L.seqrt_session_run, counter)
    monkeypatch.setattr(L, "seqrt_session_run", probe)
    done = threading.Event()
    result = {}

    def worker():
        try:
            result["out"] = session.run({"x": x})
        finally:
            done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        t = threading.Thread(target=worker)
        t.start()
        while not done.is_set():
            counter[0] += 1
            time.sleep(0.0005)  # releases the GIL so the worker gets it back after its C call
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert result["out"]["rnn"].shape == (3000, 1, 128)
    assert probe.after > probe.before, "the main thread made no progress during the run: GIL held"


def test_concurrent_use_of_one_session_is_refused(long_lstm, monkeypatch):
    model, x = long_lstm
    session = seqrt.Session(model, "reference")
    L = _lib.lib()
    real = L.seqrt_session_run
    entered, release = threading.Event(), threading.Event()

    def gate(*args):  # holds the worker inside run() until the main thread is done
        entered.set()
        release.wait(60)
        return real(*args)

    monkeypatch.setattr(L, "seqrt_session_run", gate)
    t = threading.Thread(target=session.run, args=({"x": x[:10]},))
    t.start()
    try:
        assert entered.wait(60)
        with pytest.raises(seqrt.InvalidArgumentError) as e:
            session.run({"x": x[:1]})
        assert "another thread" in str(e.value)
        with pytest.raises(seqrt.InvalidArgumentError):
            session.reset()
    finally:
        release.set()
        t.join()
    assert session.run({"x": x[:2]})["rnn"].shape == (2, 1, 128)  # usable again afterwards


@pytest.mark.parametrize("device", ["reference", "onednn"])
def test_threads_with_own_sessions_match_single_thread(tmp_path, device):
    if device not in {d.backend for d in seqrt.devices() if d.available}:
        pytest.skip("%s unavailable" % device)
    model = seqrt.Model(make_lstm(tmp_path, input_size=8, hidden_size=32))
    rng = np.random.default_rng(7)
    n = 4
    xs = [rng.standard_normal((200, 2, 8)).astype(np.float32) for _ in range(n)]
    with seqrt.Session(model, device) as s:
        want = [s.run({"x": x}) for x in xs]
    got = [None] * n
    errors = []
    barrier = threading.Barrier(n)

    def worker(k):
        try:
            with seqrt.Session(model, device) as s:
                barrier.wait()
                for _ in range(3):
                    got[k] = s.run({"x": xs[k]})
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in range(n):
        for name in want[k]:
            assert np.array_equal(got[k][name], want[k][name]), "thread %d, output '%s'" % (k, name)
