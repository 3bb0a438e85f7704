"""ONNX's node test vectors (libonnx-testdata) converted to golden cases,
and the self-tests of the float64 implementation against them and against
ONNX's reference helpers. The gate orders are seqrt.gates's."""

import glob
import os
import re
from collections import OrderedDict

import numpy as np
from seqrt.gates import onnx_recurrent_weights

from .case import Case, desc, inp, lay
from .model import run_model

ONNX_NODE_DIR = "/usr/share/libonnx-testdata/data/node"


class Skip(Exception):
    """A case that cannot be produced here (printed with its reason)."""


def load_onnx_node_test(name, onnx_dir):
    """Reads ONNX node test `name`: its single node's op, attributes, inputs
    and outputs (in node order; None for an omitted optional one)."""
    import onnx
    from onnx import numpy_helper
    d = os.path.join(onnx_dir, name)
    if not os.path.isfile(os.path.join(d, "model.onnx")):
        raise Skip("%s is not in %s" % (name, onnx_dir))
    m = onnx.load(os.path.join(d, "model.onnx"))
    g = m.graph
    if len(g.node) != 1:
        raise Skip("%s has %d nodes" % (name, len(g.node)))
    node = g.node[0]
    opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    attrs = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        attrs[a.name] = v.decode() if isinstance(v, bytes) else v

    def load(kind, decl):
        files = glob.glob(os.path.join(d, "test_data_set_0", kind + "_*.pb"))
        files.sort(key=lambda f: int(re.search(r"_(\d+)\.pb$", f).group(1)))
        out = {}
        for i, f in enumerate(files):
            tp = onnx.TensorProto()
            with open(f, "rb") as fh:
                tp.ParseFromString(fh.read())
            out[tp.name or decl[i].name] = numpy_helper.to_array(tp)
        return out
    data_in = load("input", g.input)
    data_out = load("output", g.output)
    return {"name": name, "op": node.op_type, "attrs": attrs, "opset": opset,
            "ins": [data_in.get(n) if n else None for n in node.input],
            "outs": [data_out.get(n) if n else None for n in node.output]}


ONNX_RECURRENT_TESTS = [
    "test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes", "test_lstm_batchwise",
    "test_gru_defaults", "test_gru_with_initial_bias", "test_gru_seq_length", "test_gru_batchwise",
    "test_rnn_seq_length", "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias",
    "test_simple_rnn_batchwise",
]
ONNX_SOFTMAX_TESTS = [
    "test_%s_%s" % (op, v) for op in ("softmax", "logsoftmax")
    for v in ("axis_0", "axis_1", "axis_2", "default_axis", "negative_axis",
              "example" if op == "softmax" else "example_1", "large_number")
]


def convert_onnx_recurrent(t):
    """Converts an ONNX LSTM/GRU/RNN node test into a seqrt Case."""
    op, a, ins, outs = t["op"], t["attrs"], t["ins"], t["outs"]
    kind = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}[op]
    for bad in ("activations", "activation_alpha", "activation_beta", "clip"):
        if bad in a:
            raise Skip("%s uses attribute %s" % (t["name"], bad))
    if a.get("input_forget", 0):
        raise Skip("%s uses input_forget (not seqrt's coupled)" % t["name"])
    direction = a.get("direction", "forward")
    if direction == "reverse":
        raise Skip("%s runs in reverse only" % t["name"])
    D = 2 if direction == "bidirectional" else 1
    H = a["hidden_size"]
    layout = a.get("layout", 0)
    bf = layout == 1
    ins = ins + [None] * (8 - len(ins))
    X, W, R, Bias, seq, h0, c0, P = ins[:8]
    if kind != "lstm":
        c0 = P = None
    I = X.shape[2]
    notes = []
    weights = OrderedDict()
    weights.update(onnx_recurrent_weights(op, W, R, Bias, P, H, prefix="rnn."))
    attrs = OrderedDict([("input_size", I), ("hidden_size", H)])
    if D == 2:
        attrs["bidirectional"] = True
    if Bias is None:
        attrs["bias"] = False
        notes.append("no B input: bias false")
    if P is not None:
        attrs["peephole"] = True
        notes.append("P [p_i, p_o, p_f] -> weight_pi/po/pf")
    if kind == "gru":
        attrs["linear_before_reset"] = bool(a.get("linear_before_reset", 0))
    if kind == "rnn":
        attrs["nonlinearity"] = "tanh"
    model_inputs = [inp("x", "float32", ["B", "T", I] if bf else ["T", "B", I])]
    data = OrderedDict([("x", X)])
    slots = OrderedDict([("x", "x")])
    for nm, arr, width in (("h0", h0, H), ("c0", c0, H)):
        if arr is not None:
            arr = arr.transpose(1, 0, 2) if bf else arr  # ONNX layout 1: [B, D, H]
            model_inputs.append(inp(nm, "float32", [D, "B", width]))
            data[nm] = np.ascontiguousarray(arr)
            slots[nm] = nm
    if seq is not None:
        T = X.shape[1] if bf else X.shape[0]
        if np.any(seq != T):
            notes.append("sequence_lens has padding")
        model_inputs.append(inp("lengths", "int32", ["B"]))
        data["lengths"] = seq.astype(np.int32)
        slots["lengths"] = "lengths"
    elif "seq_length" in t["name"]:
        notes.append("despite its name the ONNX test has no sequence_lens input: converted without lengths")
    outputs, expected = [], OrderedDict()
    Y = outs[0] if len(outs) > 0 else None
    Y_h = outs[1] if len(outs) > 1 else None
    Y_c = outs[2] if len(outs) > 2 else None
    if Y is not None:
        if bf:   # [B, T, D, H] -> [B, T, D*H]
            y = Y.reshape(Y.shape[0], Y.shape[1], D * H)
        else:    # [T, D, B, H] -> [T, B, D*H]
            y = Y.transpose(0, 2, 1, 3).reshape(Y.shape[0], Y.shape[2], D * H)
        outputs.append("rnn")
        expected["rnn"] = y
    for nm, arr in (("rnn:h_n", Y_h), ("rnn:c_n", Y_c)):
        if arr is not None:
            outputs.append(nm)
            expected[nm] = arr.transpose(1, 0, 2) if bf else arr   # layout 1: [B, D, H]
    if layout:
        notes.append("layout 1 -> batch_first true; Y [B,T,D,H] -> [B,T,D*H], Y_h [B,D,H] -> [D,B,H]")
    else:
        notes.append("Y [T,D,B,H] -> [T,B,D*H]")
    gates = {"lstm": "gates ONNX i,o,f,c -> PyTorch i,f,g,o", "gru": "gates ONNX z,r,h -> PyTorch r,z,n",
             "rnn": "tanh"}[kind]
    model = desc("onnx_" + t["name"][5:], model_inputs,
                 [lay(kind, "rnn", slots, **attrs)], outputs, batch_first=bf)
    description = ("ONNX node test %s (opset %d, libonnx-testdata), expected = ONNX's stored outputs; %s; "
                   "B [Wb, Rb] -> bias_ih, bias_hh; %s" % (t["name"], t["opset"], gates, "; ".join(notes)))
    return Case("onnx_" + t["name"][5:], "onnx", description, model, weights, data, expected,
                check=(2e-6, 2e-6))


def convert_onnx_softmax(t):
    op = {"Softmax": "softmax", "LogSoftmax": "log_softmax"}[t["op"]]
    if t["opset"] < 13:
        raise Skip("%s: opset %d softmax flattens to 2-D" % (t["name"], t["opset"]))
    x = t["ins"][0]
    axis = t["attrs"].get("axis", -1)
    attrs = {} if "axis" not in t["attrs"] else {"axis": axis}
    model = desc("onnx_" + t["name"][5:], [inp("x", "float32", list(x.shape))],
                 [lay(op, "y", {"x": "x"}, **attrs)], ["y"], emit_batch_first=False)
    description = ("ONNX node test %s (opset %d, libonnx-testdata): %s over axis %d%s; expected = ONNX's "
                   "stored output" % (t["name"], t["opset"], t["op"], axis,
                                      "" if attrs else " (the default, attribute omitted)"))
    return Case("onnx_" + t["name"][5:], "onnx", description, model, OrderedDict(),
                OrderedDict([("x", x)]), OrderedDict([("y", t["outs"][0])]), check=(2e-6, 2e-6))


def selftest_vs_onnx(onnx_dir):
    """The float64 implementation reproduces ONNX's LSTM vectors (defaults,
    initial bias, peepholes): checks the gate order and peephole mapping."""
    worst = 0.0
    for name in ("test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes"):
        c = convert_onnx_recurrent(load_onnx_node_test(name, onnx_dir))
        got = run_model(c.model, c.weights, c.inputs)
        for k, e in c.expected.items():
            err = float(np.abs(got[k] - e).max())
            worst = max(worst, err)
            assert err <= 1e-6, ("float64 implementation disagrees with ONNX", name, k, err)
    return worst


def selftest_vs_onnx_helpers():
    """ONNX's node vectors for LSTM use constant weights, which cannot tell
    gate or peephole orders apart; so also run ONNX's own reference helpers
    (onnx.backend.test.case.node.lstm/gru) on random weights, convert with
    convert_onnx_recurrent and compare with the float64 implementation."""
    from onnx.backend.test.case.node.lstm import LSTM_Helper
    from onnx.backend.test.case.node.gru import GRU_Helper
    rng = np.random.default_rng(4242)
    T, B, I, H = 5, 3, 4, 3
    worst = 0.0
    for kind, lbr in (("LSTM", 0), ("GRU", 0), ("GRU", 1)):
        G = 4 if kind == "LSTM" else 3
        p = {"X": rng.standard_normal((T, B, I)).astype(np.float32),
             "W": (rng.standard_normal((1, G * H, I)) * 0.6).astype(np.float32),
             "R": (rng.standard_normal((1, G * H, H)) * 0.6).astype(np.float32),
             "B": (rng.standard_normal((1, 2 * G * H)) * 0.5).astype(np.float32),
             "initial_h": (rng.standard_normal((1, B, H)) * 0.5).astype(np.float32)}
        if kind == "LSTM":
            p["initial_c"] = (rng.standard_normal((1, B, H)) * 0.5).astype(np.float32)
            p["P"] = (rng.standard_normal((1, 3 * H)) * 0.7).astype(np.float32)
            Y, Y_h = LSTM_Helper(**{k: v.astype(np.float64) for k, v in p.items()}).step()
            ins = [p["X"], p["W"], p["R"], p["B"], None, p["initial_h"], p["initial_c"], p["P"]]
            attrs = {"hidden_size": H}
        else:
            helper_in = {k: v.astype(np.float64) for k, v in p.items()}
            helper_in["linear_before_reset"] = lbr
            Y, Y_h = GRU_Helper(**helper_in).step()
            ins = [p["X"], p["W"], p["R"], p["B"], None, p["initial_h"]]
            attrs = {"hidden_size": H, "linear_before_reset": lbr}
        t = {"name": "helper_%s_%d" % (kind, lbr), "op": kind, "attrs": attrs, "opset": 14,
             "ins": ins, "outs": [Y, Y_h]}
        c = convert_onnx_recurrent(t)
        got = run_model(c.model, c.weights, c.inputs)
        for k, e in c.expected.items():
            err = float(np.abs(got[k] - e).max())
            worst = max(worst, err)
            assert err <= 1e-9, ("float64 implementation disagrees with ONNX's reference helper", kind, lbr, k, err)
    return worst


def onnx_cases(onnx_dir, skipped):
    c = []
    for name in ONNX_RECURRENT_TESTS + ONNX_SOFTMAX_TESTS:
        try:
            t = load_onnx_node_test(name, onnx_dir)
            if t["op"] in ("LSTM", "GRU", "RNN"):
                c.append(convert_onnx_recurrent(t))
            else:
                c.append(convert_onnx_softmax(t))
        except Skip as e:
            skipped.append((name, str(e)))
    return c
