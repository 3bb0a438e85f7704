"""seqrt.quantize (``seqrt quantize``): an f32 model converted to int8 /
bf16 / f16 runs on the reference and gives what independent code computes
from the same weights: the NumPy oracle of PyTorch's dynamic quantization
(tools/goldens/quant_dynamic.py) for int8, the f32 model with its weights
rounded by NumPy for bf16/f16."""
import json
import os
import sys

import numpy as np
import pytest

from conftest import GOLDEN, REPO

from seqrt import formats
from seqrt import quantize as sq

sys.path.insert(0, os.path.join(REPO, "tools", "goldens"))
import quant_dynamic as qd  # noqa: E402

CHARLM = os.path.join(GOLDEN, "charlm_embedding_lstm_linear", "model.json")


def _convert(tmp_path, to, *extra):
    out = str(tmp_path / ("m_%s.json" % to))
    assert sq.main([CHARLM, "--to", to, "-o", out] + list(extra)) == 0
    return out


@pytest.mark.parametrize("rule", ["qnnpack", "onednn"])
def test_int8_matches_the_oracle(tmp_path, rule):
    out = _convert(tmp_path, "int8", "--rule", rule)
    desc = json.load(open(out))
    assert desc["version"] == 1.2 and desc["precision"] == "int8-dynamic" and desc["int8_rule"] == rule
    w = formats.read_safetensors(os.path.join(GOLDEN, "charlm_embedding_lstm_linear", "model.safetensors"))
    feed = sq.random_inputs(json.load(open(CHARLM)), np.random.default_rng(3), T=9, B=3)
    got = formats.run_model(out, feed)
    x = w["embed.weight"][feed["tokens"]]
    state = {k[4:]: v for k, v in w.items() if k.startswith("rnn.")}
    params = qd.quantize_recurrent(state, "lstm", 2, False, per_channel=True)
    y, h_n, c_n = qd.lstm_dynamic(x, params, num_layers=2, engine=rule)
    wq, ws = qd.quantize_weight(w["fc.weight"], per_channel=True)
    fc = qd.linear_dynamic(y, wq, ws, w["fc.bias"], rule)
    for name, want in (("fc", fc), ("rnn:h_n", h_n), ("rnn:c_n", c_n)):
        err = float(np.abs(got[name] - want).max()) / max(1.0, float(np.abs(want).max()))
        assert err <= 1e-5, (name, err)
    # and it is not the f32 model: int8 moves the outputs
    f32 = formats.run_model(CHARLM, feed)
    assert float(np.abs(f32["fc"] - got["fc"]).max()) > 1e-5


@pytest.mark.parametrize("to,dtype", [("bf16", "BF16"), ("f16", "F16")])
def test_half_is_f32_of_the_rounded_weights(tmp_path, to, dtype):
    out = _convert(tmp_path, to)
    w = formats.read_safetensors(os.path.join(GOLDEN, "charlm_embedding_lstm_linear", "model.safetensors"))
    rounded = {k: formats.round_to_dtype(v, dtype) for k, v in w.items()}
    ref = str(tmp_path / "rounded.json")
    desc = json.load(open(CHARLM))
    desc["weights"] = "rounded.safetensors"
    formats.write_description(ref, desc)
    formats.write_safetensors(str(tmp_path / "rounded.safetensors"), rounded)
    feed = sq.random_inputs(desc, np.random.default_rng(4))
    got, want = formats.run_model(out, feed), formats.run_model(ref, feed)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])
    assert os.path.getsize(out[:-5] + ".safetensors") < 0.6 * os.path.getsize(
        os.path.join(GOLDEN, "charlm_embedding_lstm_linear", "model.safetensors"))


def test_refusals(tmp_path, capsys):
    assert sq.main([CHARLM, "--to", "int8", "-o", str(tmp_path / "x.txt")]) == 1
    assert "-o must name a .json" in capsys.readouterr().err
    q = _convert(tmp_path, "bf16")
    assert sq.main([q, "--to", "int8", "-o", str(tmp_path / "y.json")]) == 1
    assert "already computes bf16" in capsys.readouterr().err
    with pytest.raises(sq.QuantizeError, match="f16 range"):
        sq.convert({"layers": [{"op": "linear", "name": "fc"}]}, {"fc.weight": np.array([[1e5]], np.float32)},
                   "f16")
    with pytest.raises(sq.QuantizeError, match="nothing to quantize"):
        sq.convert({"layers": [{"op": "embedding", "name": "e"}]}, {"e.weight": np.ones((2, 2), np.float32)},
                   "int8")


def test_forms_int8_cannot_take_stay_f32():
    desc = {"layers": [{"op": "lstm", "name": "r", "peephole": True}, {"op": "linear", "name": "fc"}]}
    w = {"r.weight_ih_l0": np.ones((4, 1), np.float32), "fc.weight": np.ones((2, 2), np.float32)}
    out, tensors, notes = sq.convert(desc, w, "int8")
    assert out["layers"][0]["precision"] == "f32" and "peephole" in notes[0]
    assert tensors["r.weight_ih_l0"][0] == "F32" and tensors["fc.weight"][0] == "I8"
    assert tensors["fc.weight.scale"][1].shape == (2,)


def test_session_precision_f32_computes_the_dequantized_weights(tmp_path):
    """Session(precision="f32") widens an int8 model's weights and computes
    in f32 (seqrt_session_options.precision, SEQRT_PRECISION=f32): the
    outputs are the f32 model's whose weights NumPy dequantized (q * scale,
    per output row, as quantize_dynamic stores them), not the int8 path's."""
    import seqrt
    out = _convert(tmp_path, "int8")
    w = formats.read_safetensors(os.path.join(GOLDEN, "charlm_embedding_lstm_linear", "model.safetensors"))
    deq = {}
    for k, v in w.items():
        if ".weight" in k and not k.startswith("embed"):
            q, s = qd.quantize_weight(v, per_channel=True)
            v = (q.astype(np.float32) * s[:, None]).astype(np.float32)
        deq[k] = v
    desc = json.load(open(CHARLM))
    desc["weights"] = "deq.safetensors"
    ref = str(tmp_path / "deq.json")
    formats.write_description(ref, desc)
    formats.write_safetensors(str(tmp_path / "deq.safetensors"), deq)
    feed = sq.random_inputs(desc, np.random.default_rng(5), T=7, B=2)
    want = formats.run_model(ref, feed)
    int8 = formats.run_model(out, feed)
    with seqrt.Model(out) as m, seqrt.Session(m, "reference", precision="f32") as s:
        got = s.run({k: formats.npy_array(v) for k, v in feed.items()})
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-7, err_msg=name)
    assert float(np.abs(int8["fc"] - got["fc"]).max()) > 1e-6
    with seqrt.Model(out) as m:
        with pytest.raises(seqrt.InvalidArgumentError, match="f64"):
            seqrt.Session(m, "reference", precision="f64")
        with pytest.raises(seqrt.InvalidArgumentError, match="precision"):
            seqrt.Session(m, "reference", precision=32)
