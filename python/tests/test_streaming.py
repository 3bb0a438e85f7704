"""Streaming sessions: a golden sequence run in chunks through
Session(streaming=True) gives the golden outputs; reset() restarts."""
import numpy as np
import pytest

import seqrt
from conftest import assert_close, golden_dir, golden_expected, golden_inputs, golden_tolerance, available_devices

# streamable goldens: plain LSTM, 2 layers with h0/c0, embedding LM, batch_first, GRU
CASES = ["lstm_vanilla", "lstm_2layer_h0", "charlm_embedding_lstm_linear", "onnx_lstm_batchwise", "gru_plain"]
DEVICES = [d for d in available_devices() if d.split(":")[0] in ("reference", "onednn")] or available_devices()[:1]


def chunked(model, inputs, bounds):
    """[{name: chunk}] splitting every sequence input along its time axis."""
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        chunk = {}
        for s in model.inputs:
            x = inputs[s.name]
            chunk[s.name] = x if s.time_axis is None else np.take(x, np.arange(a, b), axis=s.time_axis)
        out.append(chunk)
    return out


def run_chunks(session, model, inputs, bounds):
    results = [session.run(c) for c in chunked(model, inputs, bounds)]
    got = {}
    for s in model.outputs:
        if s.time_axis is None:
            got[s.name] = results[-1][s.name]  # final states: the last chunk's
        else:
            got[s.name] = np.concatenate([r[s.name] for r in results], axis=s.time_axis)
    return got


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES)
def test_chunks_equal_golden(case, device):
    model = seqrt.Model(golden_dir(case) + "/model.json")
    assert model.streamable, model.why_not_streamable
    inputs, expected = golden_inputs(case, model), golden_expected(case, model)
    atol, rtol = golden_tolerance(case)
    T = next(inputs[s.name].shape[s.time_axis] for s in model.inputs if s.time_axis is not None)
    session = seqrt.Session(model, device, streaming=True)
    uneven = sorted({0, min(2, T), min(3, T), T})
    for bounds in (list(range(T + 1)), uneven, [0, T]):  # one step at a time, uneven, whole
        session.reset()
        got = run_chunks(session, model, inputs, bounds)
        for name, e in expected.items():
            assert_close(got[name], e, atol, rtol, "%s on %s, chunks %s: '%s'" % (case, device, bounds, name))


def test_state_carries_and_reset_restarts():
    case = "lstm_vanilla"
    model = seqrt.Model(golden_dir(case) + "/model.json")
    x = golden_inputs(case, model)["x"]
    expected = golden_expected(case, model)["rnn"]
    atol, rtol = golden_tolerance(case)
    with seqrt.Session(model, "reference", streaming=True) as s:
        first = s.run({"x": x})["rnn"]
        second = s.run({"x": x})["rnn"]  # continues from the state after x
        assert not np.allclose(first, second)
        s.reset()
        again = s.run({"x": x})["rnn"]
    assert_close(first, expected, atol, rtol, "first run")
    assert_close(again, expected, atol, rtol, "after reset")


def test_not_streamable_is_refused_naming_the_layer():
    model = seqrt.Model(golden_dir("luong_encoder_decoder") + "/model.json")
    assert not model.streamable and "enc" in model.why_not_streamable
    with pytest.raises(seqrt.Error) as e:
        seqrt.Session(model, "reference", streaming=True)
    assert "enc" in str(e.value)
