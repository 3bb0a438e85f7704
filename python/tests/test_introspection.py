"""Model, device and library introspection."""
import re
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import seqrt
from conftest import CHARLM, REPO, golden_dir, make_lstm, write_safetensors


def test_versions_and_library():
    # one version: the C header's SEQRT_VERSION_* (the build system reads it too)
    header = open(os.path.join(REPO, "api", "seqrt.h")).read()
    want = ".".join(re.search(r"#define SEQRT_VERSION_%s (\d+)" % p, header).group(1)
                    for p in ("MAJOR", "MINOR", "PATCH"))
    assert seqrt.__version__ == want
    assert seqrt.version() == want
    assert seqrt.version().split(".")[:2] == seqrt.__version__.split(".")[:2]
    path = seqrt.library_path()
    assert os.path.exists(path) and os.path.basename(path).startswith("libseqrt.so")


def test_charlm_example():
    m = seqrt.Model(CHARLM)
    assert m.name == "charlm" and m.path == CHARLM and m.batch_first is False
    (tokens,) = m.inputs
    assert tokens == seqrt.TensorSpec("tokens", np.dtype(np.int32), ("T", "B"), "[T, B]", 0)
    assert [o.name for o in m.outputs] == ["probs", "rnn:h_n", "rnn:c_n"]
    probs, h_n, _ = m.outputs
    assert probs.dtype == np.float32 and probs.shape == ("T", "B", 84) and probs.time_axis == 0
    assert h_n.shape == (2, "B", 256) and h_n.text == "[2, B, 256]" and h_n.time_axis is None
    assert [(l.name, l.op) for l in m.layers] == [("embed", "embedding"), ("rnn", "lstm"), ("fc", "linear"),
                                                  ("probs", "softmax")]
    rnn = m.layers[1]
    assert rnn.shape == "[T, B, 256]" and rnn.params > 0 and rnn.flops_per_step > 0
    assert m.layers[0].params == 84 * 48
    assert len(m.metadata["vocab"]) == 84 and m.metadata["output"] == "probs"
    assert m.warnings == [] and m.streamable and m.why_not_streamable == ""
    assert m.input("tokens") is tokens
    with pytest.raises(seqrt.InvalidArgumentError):
        m.input("nosuch")


def test_charlm_runs_and_streams():
    m = seqrt.Model(CHARLM)
    prompt = np.load(os.path.join(REPO, "examples", "charlm", "prompt.npy"))
    with seqrt.Session(m, "reference") as s:
        whole = s.run({"tokens": prompt})["probs"]
    assert whole.shape == (prompt.shape[0], 1, 84)
    assert np.allclose(whole.sum(axis=-1), 1, atol=1e-5)
    with seqrt.Session(m, "reference", streaming=True) as s:
        steps = [s.run({"tokens": prompt[t:t + 1]})["probs"] for t in range(prompt.shape[0])]
    assert np.allclose(np.concatenate(steps), whole, atol=1e-5)


def test_golden_introspection():
    m = seqrt.Model(golden_dir("luong_encoder_decoder") + "/model.json")
    assert [(s.name, s.dtype, s.text) for s in m.inputs] == [
        ("src", np.float32, "[S, B, 4]"), ("tgt", np.float32, "[T, B, 4]"), ("lengths", np.int32, "[B]")]
    assert m.inputs[2].time_axis is None
    assert m.outputs[1] == seqrt.TensorSpec("att:weights", np.dtype(np.float32), ("B", "T", "S"), "[B, T, S]", None)
    assert m.metadata == {}
    assert not m.streamable and "'enc'" in m.why_not_streamable
    m64 = seqrt.Model(golden_dir("charlm_int64_ids") + "/model.json")
    assert m64.inputs[0].dtype == np.int64
    bf = seqrt.Model(golden_dir("onnx_lstm_batchwise") + "/model.json")
    assert bf.batch_first and bf.inputs[0].time_axis == 1


def test_unresolved_output_dim():
    m = seqrt.Model(golden_dir("concat_axis0") + "/model.json")
    assert m.outputs[0].shape == ("?", "B", 3)


def test_warnings_strict_and_weights_override(tmp_path):
    path = make_lstm(tmp_path, input_size=3, hidden_size=4)
    m = seqrt.Model(path)
    assert m.metadata == {"made_by": "python/tests/conftest.py"} and m.warnings == []
    extra = dict(json.load(open(path)), weights="extra.safetensors")
    rng = np.random.default_rng(0)
    tensors = {"rnn.weight_ih_l0": rng.random((16, 3)), "rnn.weight_hh_l0": rng.random((16, 4)),
               "rnn.bias_ih_l0": rng.random(16), "rnn.bias_hh_l0": rng.random(16), "unused.w": rng.random(2)}
    write_safetensors(tmp_path / "extra.safetensors", tensors)
    with open(tmp_path / "extra.json", "w") as f:
        json.dump(extra, f)
    w = seqrt.Model(tmp_path / "extra.json")
    assert len(w.warnings) == 1 and "unused.w" in w.warnings[0]
    with pytest.raises(seqrt.ModelError) as e:
        seqrt.Model(tmp_path / "extra.json", strict=True)
    assert "unused.w" in str(e.value)
    # weights= replaces the description's file
    o = seqrt.Model(path, weights=tmp_path / "extra.safetensors")
    assert len(o.warnings) == 1
    x = rng.random((2, 1, 3)).astype(np.float32)
    with seqrt.Session(o, "reference") as a, seqrt.Session(w, "reference") as b:
        assert np.array_equal(a.run([x])["rnn"], b.run([x])["rnn"])


def test_devices_and_backends():
    devs = seqrt.devices()
    ref = [d for d in devs if d.backend == "reference"]
    assert ref and ref[0].id == "reference:0" and ref[0].index == 0
    assert ref[0].available and ref[0].reason == "" and ref[0].name
    names = [b.name for b in seqrt.backends()]
    assert names[:3] == ["reference", "onednn", "opencl"]
    b = seqrt.backends()[0]
    assert b.available and b.module == "built-in" and b.devices == ref
    for d in devs:
        assert d.available == (d.reason == "")
    with seqrt.Session(seqrt.Model(CHARLM), ref[0]) as s:
        assert s.device == ref[0]
    with seqrt.Session(seqrt.Model(CHARLM), "auto") as s:
        assert s.device.available and s.device.index is not None


def test_backend_without_devices_listed_once():
    """A module that cannot be found still appears, unavailable, with why."""
    code = ("import seqrt\n"
            "[d] = [d for d in seqrt.devices() if d.backend == 'nosuchmod']\n"
            "print(d.id, d.index, d.available, bool(d.reason))\n"
            "[b] = [b for b in seqrt.backends() if b.name == 'nosuchmod']\n"
            "print(b.available, len(b.devices))\n")
    env = dict(os.environ, SEQRT_EXTRA_BACKENDS="nosuchmod", PYTHONPATH=os.path.join(REPO, "python"))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["nosuchmod", "None", "False", "True", "False", "1"]


def test_layer_attributes_and_gate_functions(tmp_path):
    # every attribute of the op, defaults named, the derived gate functions (1.1)
    path = make_lstm(tmp_path, input_size=3, hidden_size=4)
    desc = json.load(open(path))
    desc["version"] = 1.1
    desc["layers"][0].update({"bidirectional": True, "clip": 0.5, "activations": ["LeakyRelu", "tanh", "tanh"]})
    rng = np.random.default_rng(1)
    weights = {"rnn.%s_l0%s" % (w, s): rng.uniform(-0.5, 0.5, shape)
               for s in ("", "_reverse")
               for w, shape in (("weight_ih", (16, 3)), ("weight_hh", (16, 4)), ("bias_ih", (16,)),
                                ("bias_hh", (16,)))}
    write_safetensors(str(tmp_path / "lstm.safetensors"), weights)
    json.dump(desc, open(path, "w"))
    rnn = seqrt.Model(path).layers[0]
    assert rnn.attributes["hidden_size"] == 4 and rnn.attributes["clip"] == 0.5
    assert rnn.attributes["direction"] == "bidirectional" and rnn.attributes["bidirectional"] is True
    assert rnn.attributes["activations"] == ["leakyrelu", "tanh", "tanh"]
    assert rnn.attributes["activation_alpha"] == [] and "activation_alpha" in rnn.defaults
    assert "num_layers" in rnn.defaults and "clip" not in rnn.defaults and "hidden_size" not in rnn.defaults
    assert list(rnn.attributes)[:2] == ["input_size", "hidden_size"]
    assert rnn.gate_functions == ("forward: leakyrelu(alpha=0.01), tanh, tanh; "
                                  "reverse: leakyrelu(alpha=0.01), tanh, tanh")
    m = seqrt.Model(CHARLM)
    assert m.layers[0].attributes == {"num_embeddings": 84, "embedding_dim": 48}
    assert m.layers[0].gate_functions == "" and m.layers[1].gate_functions == "sigmoid, tanh, tanh"
