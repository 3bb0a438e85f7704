"""seqrt.onnx on single ONNX LSTM / GRU / RNN nodes built with onnx.helper,
one per attribute and combination (activations with activation_alpha /
activation_beta, clip, direction, input_forget, linear_before_reset,
hidden_size, layout), "" placeholder inputs, omitted optional outputs,
initial_h without initial_c and sequence_lens: each converted, run with
seqrt on the reference, oneDNN and OpenCL devices and compared with the
independent float64 oracle tools/goldens/onnx_rnn.py (onnx_recurrent_np,
ONNX's own terms and layouts); plus what the importer writes (format 1.1
only where a 1.1 attribute is used, explicit gate-function parameters) and
what it refuses.

    PYTHONPATH=python /usr/bin/python3 -m pytest python/tests/test_onnx_attrs.py
"""
import json
import os
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
for p in (os.path.join(REPO, "python"), os.path.join(REPO, "tools")):
    if p not in sys.path:
        sys.path.insert(0, p)

from conftest import backend_device  # noqa: E402
import seqrt  # noqa: E402
import seqrt.onnx as so  # noqa: E402
from goldens.onnx_rnn import onnx_recurrent_np  # noqa: E402

ATOL, RTOL = 1e-4, 1e-3
BACKENDS = ["reference", "onednn", "opencl"]
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
T, NB, I, H = 5, 3, 3, 4
LENS = np.array([5, 3, 1], dtype=np.int32)
# node input slots; X, sequence_lens, initial_h, initial_c are graph inputs, the rest initializers
SLOTS = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
FEEDS = {"X", "sequence_lens", "initial_h", "initial_c"}




def _data(op, attrs, given, seed):
    """The node's inputs in ONNX's shapes: {slot: array} for `given`."""
    rng = np.random.RandomState(seed)
    D = 2 if attrs.get("direction") == "bidirectional" else 1
    G = GATES[op]
    s = 0.6 / np.sqrt(H)
    lay = attrs.get("layout", 0)
    shapes = {"X": [NB, T, I] if lay else [T, NB, I], "W": [D, G * H, I], "R": [D, G * H, H], "B": [D, 2 * G * H],
              "initial_h": [NB, D, H] if lay else [D, NB, H], "P": [D, 3 * H]}
    shapes["initial_c"] = shapes["initial_h"]
    out = {}
    for k in SLOTS:
        if k not in given:
            continue
        if k == "sequence_lens":
            out[k] = LENS
        else:
            scale = 1.0 if k == "X" else (0.5 if k.startswith("initial") else s * 3)
            out[k] = (rng.uniform(-1, 1, shapes[k]) * scale).astype(np.float32)
    return out


def _model(op, attrs, data, outputs):
    """One-node model; `outputs` is the node's output list ("" omits one)."""
    last = max(SLOTS.index(k) for k in data)
    ins = [k if k in data else "" for k in SLOTS[:last + 1]]
    node = helper.make_node(op, ins, outputs, name="rnn", **attrs)
    g_in = [helper.make_tensor_value_info(k, TensorProto.INT32 if k == "sequence_lens" else TensorProto.FLOAT,
                                          list(data[k].shape)) for k in SLOTS if k in data and k in FEEDS]
    g_out = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs if o]
    inits = [numpy_helper.from_array(data[k], k) for k in SLOTS if k in data and k not in FEEDS]
    return helper.make_model(helper.make_graph([node], "onnx_attrs", g_in, g_out, initializer=inits),
                             opset_imports=[helper.make_opsetid("", 14)])


def _convert(tmp_path, op, attrs, given=("X", "W", "R", "B"), outputs=("Y", "Y_h", "Y_c"), seed=0):
    outputs = list(outputs) if op == "LSTM" else [o for o in outputs if o != "Y_c"]
    data = _data(op, attrs, set(given), seed)
    rep = so.convert(_model(op, attrs, data, outputs), str(tmp_path / "m.json"))
    with open(rep.json_path) as f:
        desc = json.load(f)
    return rep, desc, data, outputs


def _run_and_compare(rep, op, data, outputs, oracle_attrs, device):
    feed = {rep.inputs[k][0]: rep.to_seqrt(k, a) for k, a in data.items() if k in rep.inputs}
    with seqrt.Model(rep.json_path, strict=True) as m, seqrt.Session(m, device=device) as s:
        got = s.run(feed)
    want = dict(zip(("Y", "Y_h", "Y_c"), onnx_recurrent_np(op, **data, **oracle_attrs)))
    for k in outputs:
        if not k:
            continue
        g = rep.to_onnx(k, got[rep.outputs[k][0]]).astype(np.float64)
        w = want[k]
        assert g.shape == w.shape, "%s: seqrt shape %s, oracle %s" % (k, g.shape, w.shape)
        err = np.abs(g - w)
        assert np.all(err <= ATOL + RTOL * np.abs(w)), "%s on %s: max |seqrt - oracle| = %g" % (k, device, err.max())


def _case(tmp_path, backend, op, attrs, given=("X", "W", "R", "B"), outputs=("Y", "Y_h", "Y_c"), oracle=None,
          seed=0):
    device = backend_device(backend)
    rep, desc, data, outs = _convert(tmp_path, op, attrs, given, outputs, seed)
    _run_and_compare(rep, op, data, outs, attrs if oracle is None else oracle, device)
    return desc


def _layer(desc):
    (L,) = desc["layers"]
    return L


ALL = ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")
FNS_P = {"affine": 2, "leakyrelu": 1, "thresholdedrelu": 1, "scaledtanh": 2, "hardsigmoid": 2, "elu": 1}

# (id, op, attributes, given inputs) : every case runs on every backend against the oracle
CASES = [
    ("lstm_forward", "LSTM", {"hidden_size": H}, ("X", "W", "R", "B")),
    ("lstm_reverse", "LSTM", {"hidden_size": H, "direction": "reverse"}, ("X", "W", "R", "B")),
    ("lstm_bidirectional", "LSTM", {"hidden_size": H, "direction": "bidirectional"}, ("X", "W", "R", "B")),
    ("gru_reverse", "GRU", {"hidden_size": H, "direction": "reverse"}, ("X", "W", "R", "B")),
    ("gru_bidirectional", "GRU", {"hidden_size": H, "direction": "bidirectional"}, ("X", "W", "R", "B")),
    ("rnn_reverse", "RNN", {"hidden_size": H, "direction": "reverse"}, ("X", "W", "R", "B")),
    ("rnn_bidirectional", "RNN", {"hidden_size": H, "direction": "bidirectional"}, ("X", "W", "R", "B")),
    ("lstm_clip", "LSTM", {"hidden_size": H, "clip": 0.4}, ("X", "W", "R", "B")),
    ("gru_clip_bidirectional", "GRU", {"hidden_size": H, "clip": 0.3, "direction": "bidirectional"},
     ("X", "W", "R", "B")),
    ("rnn_clip", "RNN", {"hidden_size": H, "clip": 0.25}, ("X", "W", "R", "B")),
    ("lstm_input_forget", "LSTM", {"hidden_size": H, "input_forget": 1}, ("X", "W", "R", "B")),
    ("lstm_input_forget_peepholes_reverse", "LSTM", {"hidden_size": H, "input_forget": 1, "direction": "reverse"},
     ALL),
    ("lstm_input_forget_bidirectional_clip", "LSTM",
     {"hidden_size": H, "input_forget": 1, "direction": "bidirectional", "clip": 0.5}, ALL),
    ("gru_linear_before_reset_0", "GRU", {"hidden_size": H, "linear_before_reset": 0}, ("X", "W", "R", "B")),
    ("gru_linear_before_reset_1", "GRU", {"hidden_size": H, "linear_before_reset": 1}, ("X", "W", "R", "B")),
    ("gru_linear_before_reset_1_reverse_lens", "GRU",
     {"hidden_size": H, "linear_before_reset": 1, "direction": "reverse"}, ("X", "W", "R", "B", "sequence_lens")),
    ("lstm_no_hidden_size", "LSTM", {}, ("X", "W", "R", "B")),
    ("rnn_no_hidden_size_bidirectional", "RNN", {"direction": "bidirectional"}, ("X", "W", "R")),
    # activations, any case, one function family each
    ("lstm_acts_case", "LSTM", {"hidden_size": H, "activations": ["SIGMOID", "tAnH", "Tanh"]}, ("X", "W", "R", "B")),
    ("lstm_acts_hardsigmoid_affine_elu", "LSTM",
     {"hidden_size": H, "activations": ["HardSigmoid", "Affine", "Elu"], "activation_alpha": [0.3, 0.8, 0.7],
      "activation_beta": [0.45, 0.1]}, ("X", "W", "R", "B")),
    ("lstm_acts_softsign_softplus_relu", "LSTM",
     {"hidden_size": H, "activations": ["Softsign", "Softplus", "Relu"]}, ("X", "W", "R", "B")),
    ("lstm_acts_leaky_scaledtanh_thresholded", "LSTM",
     {"hidden_size": H, "activations": ["Sigmoid", "ScaledTanh", "ThresholdedRelu"],
      "activation_alpha": [0.9, 0.05], "activation_beta": [1.3]}, ("X", "W", "R", "B")),
    ("lstm_acts_bidirectional_order", "LSTM",
     {"hidden_size": H, "direction": "bidirectional",
      "activations": ["Sigmoid", "LeakyRelu", "Tanh", "HardSigmoid", "Tanh", "ScaledTanh"],
      "activation_alpha": [0.2, 0.25, 0.8], "activation_beta": [0.55, 1.2]}, ("X", "W", "R", "B")),
    ("gru_acts", "GRU", {"hidden_size": H, "activations": ["HardSigmoid", "Softsign"],
                         "activation_alpha": [0.35], "activation_beta": [0.5]}, ("X", "W", "R", "B")),
    ("gru_acts_bidirectional_lbr", "GRU",
     {"hidden_size": H, "direction": "bidirectional", "linear_before_reset": 1,
      "activations": ["Sigmoid", "Elu", "sigmoid", "LeakyRelu"], "activation_alpha": [0.6, 0.1]},
     ("X", "W", "R", "B")),
    ("rnn_relu", "RNN", {"hidden_size": H, "activations": ["Relu"]}, ("X", "W", "R", "B")),
    ("rnn_affine", "RNN", {"hidden_size": H, "activations": ["Affine"], "activation_alpha": [0.7],
                           "activation_beta": [0.2]}, ("X", "W", "R", "B")),
    ("rnn_bidirectional_relu_tanh", "RNN",
     {"hidden_size": H, "direction": "bidirectional", "activations": ["Relu", "Tanh"]}, ("X", "W", "R", "B")),
    ("rnn_thresholdedrelu_reverse_clip", "RNN",
     {"hidden_size": H, "direction": "reverse", "clip": 0.9, "activations": ["ThresholdedRelu"],
      "activation_alpha": [0.1]}, ("X", "W", "R", "B")),
    ("lstm_everything", "LSTM",
     {"hidden_size": H, "direction": "bidirectional", "clip": 0.6, "input_forget": 1, "layout": 1,
      "activations": ["HardSigmoid", "Softsign", "Elu", "Sigmoid", "Tanh", "Affine"],
      "activation_alpha": [0.3, 0.9, 0.5], "activation_beta": [0.5, 0.05]}, ALL),
    # "" placeholders and optional inputs
    ("lstm_peepholes_without_bias", "LSTM", {"hidden_size": H}, ("X", "W", "R", "P")),
    ("lstm_initial_h_without_lens", "LSTM", {"hidden_size": H}, ("X", "W", "R", "B", "initial_h")),
    ("lstm_initial_h_without_initial_c_reverse", "LSTM", {"hidden_size": H, "direction": "reverse"},
     ("X", "W", "R", "initial_h")),
    ("lstm_initial_c_only", "LSTM", {"hidden_size": H}, ("X", "W", "R", "B", "initial_c")),
    ("lstm_lens_bidirectional_states", "LSTM", {"hidden_size": H, "direction": "bidirectional"},
     ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c")),
    ("lstm_lens_reverse", "LSTM", {"hidden_size": H, "direction": "reverse"}, ("X", "W", "R", "sequence_lens")),
    ("gru_lens_initial_h_bidirectional", "GRU", {"hidden_size": H, "direction": "bidirectional"},
     ("X", "W", "R", "B", "sequence_lens", "initial_h")),
    ("rnn_lens_initial_h_reverse", "RNN", {"hidden_size": H, "direction": "reverse"},
     ("X", "W", "R", "sequence_lens", "initial_h")),
    # layout 1 (batch_first; states [B, D, H] in ONNX)
    ("lstm_layout1_bidirectional_states", "LSTM", {"hidden_size": H, "layout": 1, "direction": "bidirectional"},
     ("X", "W", "R", "B", "initial_h", "initial_c")),
    ("gru_layout1_reverse_lens", "GRU", {"hidden_size": H, "layout": 1, "direction": "reverse"},
     ("X", "W", "R", "B", "sequence_lens", "initial_h")),
    ("rnn_layout1_clip", "RNN", {"hidden_size": H, "layout": 1, "clip": 0.5}, ("X", "W", "R", "B", "initial_h")),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid,op,attrs,given", CASES, ids=[c[0] for c in CASES])
def test_attribute_case(cid, op, attrs, given, backend, tmp_path):
    _case(tmp_path, backend, op, attrs, given, seed=len(cid))


# which of Y, Y_h, Y_c the node names ("" omits one): every one it names is compared
OUTPUT_SETS = [("Y",), ("", "Y_h"), ("", "Y_h", "Y_c"), ("", "", "Y_c"), ("Y", "", "Y_c"), ("Y", "Y_h")]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("outputs", OUTPUT_SETS, ids=["_".join(o or "none" for o in s) for s in OUTPUT_SETS])
def test_optional_outputs(outputs, backend, tmp_path):
    attrs = {"hidden_size": H, "direction": "bidirectional"}
    _case(tmp_path, backend, "LSTM", attrs, ("X", "W", "R", "B", "sequence_lens"), outputs)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gru_only_y_h_reverse(backend, tmp_path):
    _case(tmp_path, backend, "GRU", {"hidden_size": H, "direction": "reverse"}, ("X", "W", "R"), ("", "Y_h"))


# ---- what the importer writes


def test_a_1_0_model_stays_1_0(tmp_path):
    for op, attrs in (("LSTM", {"hidden_size": H, "direction": "bidirectional"}),
                      ("GRU", {"hidden_size": H, "activations": ["Sigmoid", "Tanh"]}),
                      ("RNN", {"hidden_size": H, "activations": ["Relu"]})):
        _, desc, _, _ = _convert(tmp_path, op, attrs)
        assert desc["version"] == 1, (op, desc["version"])
        L = _layer(desc)
        for k in ("direction", "clip", "activations", "activation_alpha", "activation_beta", "input_forget"):
            assert k not in L, (op, k)
    assert _layer(desc)["nonlinearity"] == "relu"


@pytest.mark.parametrize("attrs,key", [({"direction": "reverse"}, "direction"), ({"clip": 1.5}, "clip"),
                                       ({"input_forget": 1}, "input_forget"),
                                       ({"activations": ["Sigmoid", "Tanh", "Relu"]}, "activations")])
def test_a_1_1_attribute_makes_1_1(attrs, key, tmp_path):
    _, desc, _, _ = _convert(tmp_path, "LSTM", dict(attrs, hidden_size=H))
    assert desc["version"] == 1.1
    assert key in _layer(desc)
    assert "coupled" not in _layer(desc)


def test_linear_before_reset_is_spelled_out(tmp_path):
    _, desc, _, _ = _convert(tmp_path, "GRU", {"hidden_size": H})
    assert _layer(desc)["linear_before_reset"] is False
    _, desc, _, _ = _convert(tmp_path, "GRU", {"hidden_size": H, "linear_before_reset": 1})
    assert _layer(desc)["linear_before_reset"] is True


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_parameters_are_onnx_runtimes(backend, tmp_path):
    """A function short of a parameter gets ONNX Runtime's value, written
    out: 0 for affine, scaledtanh, thresholdedrelu; leakyrelu 0.01,
    hardsigmoid 0.2 / 0.5, elu 1. Bidirectional: six functions, with only
    the first alpha given."""
    acts = ["Affine", "ScaledTanh", "LeakyRelu", "HardSigmoid", "ThresholdedRelu", "Elu"]
    attrs = {"hidden_size": H, "direction": "bidirectional", "activations": acts, "activation_alpha": [0.5]}
    explicit = dict(attrs, activation_alpha=[0.5, 0.0, 0.01, 0.2, 0.0, 1.0], activation_beta=[0.0, 0.0, 0.5])
    desc = _case(tmp_path, backend, "LSTM", attrs, oracle=explicit)
    L = _layer(desc)
    assert L["activations"] == [a.lower() for a in acts]
    assert np.allclose(L["activation_alpha"], explicit["activation_alpha"])
    assert np.allclose(L["activation_beta"], explicit["activation_beta"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_list_for_both_directions(backend, tmp_path):
    """Three functions for a bidirectional LSTM serve both directions with
    the same parameters (written out per direction)."""
    attrs = {"hidden_size": H, "direction": "bidirectional", "activations": ["HardSigmoid", "Tanh", "Affine"],
             "activation_alpha": [0.25, 0.6], "activation_beta": [0.5, 0.1]}
    explicit = dict(attrs, activations=attrs["activations"] * 2, activation_alpha=[0.25, 0.6] * 2,
                    activation_beta=[0.5, 0.1] * 2)
    desc = _case(tmp_path, backend, "LSTM", attrs, oracle=explicit)
    assert len(_layer(desc)["activations"]) == 6


@pytest.mark.parametrize("backend", BACKENDS)
def test_rnn_schema_default_pair(backend, tmp_path):
    """RNN's schema default list is [Tanh, Tanh]: ONNX Runtime reads the
    first for one direction, so does the importer; extra alphas are
    ignored, as ONNX Runtime does."""
    attrs = {"hidden_size": H, "activations": ["LeakyRelu", "Tanh"], "activation_alpha": [0.2, 0.7]}
    desc = _case(tmp_path, backend, "RNN", attrs, oracle={"hidden_size": H, "activations": ["LeakyRelu"],
                                                          "activation_alpha": [0.2]})
    assert _layer(desc)["activations"] == ["leakyrelu"] and _layer(desc)["activation_alpha"] == [
        pytest.approx(0.2)]


def test_report_notes_ignored_parameters(tmp_path):
    data = _data("LSTM", {}, {"X", "W", "R"}, 0)
    m = _model("LSTM", {"hidden_size": H, "activation_alpha": [0.5]}, data, ["Y"])
    rep = so.convert(m, str(tmp_path / "n.json"))
    assert any("activation_alpha" in n and "ignored" in n for n in rep.notes), rep.notes


@pytest.mark.parametrize("attrs,pattern", [
    ({"clip": 0.0}, "clip=0"),
    ({"clip": -1.0}, "clip=-1"),
    ({"activations": ["Sigmoid", "Gelu", "Tanh"]}, "'gelu' is not one of"),
    ({"activations": ["Sigmoid", "Tanh"]}, "activations has 2 functions"),
    ({"direction": "sideways"}, "direction='sideways'"),
    ({"layout": 2}, "layout=2"),
])
def test_refused(attrs, pattern, tmp_path):
    with pytest.raises(so.ConvertError, match=pattern):
        _convert(tmp_path, "LSTM", dict(attrs, hidden_size=H))


def _stack_model(rows, second_x_is_y=True):
    """Two one-direction LSTM nodes on Slices [0, 1) and [1, 2) of one
    graph input h0 [rows, B, H], as torch.onnx.export writes a 2-layer LSTM
    with h0; the second's X is the first's Y (squeezed) or the graph's X."""
    rng = np.random.RandomState(2)
    c = lambda n, a: numpy_helper.from_array(np.asarray(a), n)  # noqa: E731
    inits = [c("W0", rng.randn(1, 4 * H, I).astype(np.float32)), c("W1", rng.randn(1, 4 * H, H).astype(np.float32)),
             c("R0", rng.randn(1, 4 * H, H).astype(np.float32)), c("R1", rng.randn(1, 4 * H, H).astype(np.float32)),
             c("s0", np.array([0])), c("s1", np.array([1])), c("s2", np.array([2])), c("ax", np.array([0])),
             c("sq", np.array([1]))]
    nodes = [helper.make_node("Slice", ["h0", "s0", "s1", "ax"], ["h0_0"]),
             helper.make_node("Slice", ["h0", "s1", "s2", "ax"], ["h0_1"]),
             helper.make_node("LSTM", ["X", "W0", "R0", "", "", "h0_0"], ["Y0", "H0"], hidden_size=H),
             helper.make_node("Squeeze", ["Y0", "sq"], ["Y0s"]),
             helper.make_node("LSTM", ["Y0s" if second_x_is_y else "X2", "W1", "R1", "", "", "h0_1"], ["Y1", "H1"],
                              hidden_size=H),
             helper.make_node("Concat", ["H0", "H1"], ["h_n"], axis=0)]
    g_in = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, NB, I]),
            helper.make_tensor_value_info("X2", TensorProto.FLOAT, [T, NB, H]),
            helper.make_tensor_value_info("h0", TensorProto.FLOAT, [rows, NB, H])]
    g_out = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("Y1", "h_n")]
    return helper.make_model(helper.make_graph(nodes, "stack", g_in, g_out, initializer=inits),
                             opset_imports=[helper.make_opsetid("", 14)])


def test_stacked_nodes(tmp_path):
    rep = so.convert(_stack_model(2), str(tmp_path / "s.json"))
    with open(rep.json_path) as f:
        (L,) = json.load(f)["layers"]
    assert L["num_layers"] == 2 and L["inputs"]["h0"] == "h0"
    with pytest.raises(so.ConvertError, match="has 3 rows"):
        so.convert(_stack_model(3), str(tmp_path / "s3.json"))
    with pytest.raises(so.ConvertError, match="its X is not the Y"):
        so.convert(_stack_model(2, second_x_is_y=False), str(tmp_path / "sx.json"))
