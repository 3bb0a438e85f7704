"""Case lists of the recurrent layers: lstm/gru/rnn run by PyTorch in
float64, and what PyTorch lacks (peephole / coupled LSTM, GRU with
linear_before_reset false) computed by the float64 NumPy implementation."""

import json
import math
import re
from collections import OrderedDict

import numpy as np

from .case import Case, desc, inp, lay, rand_lengths, randn
from .model import NPY_DTYPES
from .spec import dict_getw, recurrent_np, recurrent_params
from .torch_eval import RNN_CLASSES, f64, rnn_attrs, seeded, state, t64, torch_recurrent


def recurrent_case(name, kind, kw, T, B, lengths=False, h0=False, bf=False, lengths_dtype="int32",
                   concrete=False, seed_name=None, description=""):
    """One lstm/gru/rnn layer named "rnn" run by PyTorch in float64. The data
    depend only on seed_name (default: name), so two cases with the same
    seed_name (e.g. batch_first false and true) hold the same model and data."""
    rng = seeded(seed_name or name)
    mod = RNN_CLASSES[kind](batch_first=bf, **kw)
    weights = state("rnn", mod)
    mod = mod.double().eval()
    I, H = kw["input_size"], kw["hidden_size"]
    D = 2 if kw.get("bidirectional") else 1
    LD = kw.get("num_layers", 1) * D
    Hout = kw.get("proj_size", 0) or H
    x = randn(rng, (T, B, I))
    lens = rand_lengths(T, B, rng) if lengths else None
    h0v = randn(rng, (LD, B, Hout), 0.5) if h0 else None
    c0v = randn(rng, (LD, B, H), 0.5) if h0 and kind == "lstm" else None
    xin = x.transpose(1, 0, 2) if bf else x
    tb = [T, B] if concrete else ["T", "B"]
    bsym = B if concrete else "B"
    inputs = [inp("x", "float32", ([tb[1], tb[0]] if bf else tb) + [I])]
    data = OrderedDict([("x", np.ascontiguousarray(xin))])
    slots = OrderedDict([("x", "x")])
    if h0:
        inputs.append(inp("h0", "float32", [LD, bsym, Hout]))
        data["h0"] = h0v
        slots["h0"] = "h0"
        if kind == "lstm":
            inputs.append(inp("c0", "float32", [LD, bsym, H]))
            data["c0"] = c0v
            slots["c0"] = "c0"
    if lengths:
        inputs.append(inp("lengths", lengths_dtype, [bsym]))
        data["lengths"] = lens.astype(NPY_DTYPES[lengths_dtype])
        slots["lengths"] = "lengths"
    out, h_n, c_n = torch_recurrent(mod, t64(xin), lens, None if h0v is None else t64(h0v),
                                    None if c0v is None else t64(c0v))
    outputs = ["rnn", "rnn:h_n"] + (["rnn:c_n"] if kind == "lstm" else [])
    expected = OrderedDict([("rnn", f64(out)), ("rnn:h_n", f64(h_n))])
    if kind == "lstm":
        expected["rnn:c_n"] = f64(c_n)
    model = desc(name, inputs, [lay(kind, "rnn", slots, **rnn_attrs(mod, kind))], outputs, batch_first=bf)
    extra = []
    if lengths:
        extra.append("lengths %s (PyTorch pack_padded_sequence(enforce_sorted=False); rows of length 0, "
                     "which PyTorch cannot pack, are filled per the spec: outputs 0, final state = initial "
                     "state)" % lens.tolist())
    if h0:
        extra.append("initial state from inputs")
    if bf:
        extra.append("batch_first")
    descr = "PyTorch nn.%s(%s) in float64%s%s" % (
        RNN_CLASSES[kind].__name__, ", ".join("%s=%r" % kv for kv in kw.items()),
        "; " + "; ".join(extra) if extra else "", "; " + description if description else "")
    return Case(name, "pytorch", descr, model, weights, data, expected)


def recurrent_cases():
    c = []
    c.append(recurrent_case("lstm_vanilla", "lstm", dict(input_size=4, hidden_size=5), 6, 3))
    c.append(recurrent_case("lstm_nobias", "lstm", dict(input_size=4, hidden_size=5, bias=False), 5, 2,
                            description="bias false: no bias tensors"))
    c.append(recurrent_case("lstm_2layer_h0", "lstm", dict(input_size=4, hidden_size=5, num_layers=2), 6, 3,
                            h0=True, concrete=True, description="concrete input shapes"))
    c.append(recurrent_case("lstm_proj", "lstm", dict(input_size=4, hidden_size=6, proj_size=3), 6, 3))
    c.append(recurrent_case("lstm_proj_bidir2_lengths_h0", "lstm",
                            dict(input_size=4, hidden_size=6, proj_size=4, num_layers=2, bidirectional=True),
                            7, 4, lengths=True, h0=True))
    for bf in (False, True):
        c.append(recurrent_case("lstm_bidir2_lengths_h0" + ("_batch_first" if bf else ""), "lstm",
                                dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True), 7, 4,
                                lengths=True, h0=True, bf=bf, seed_name="lstm_bidir2_lengths_h0",
                                description="same model and data as lstm_bidir2_lengths_h0%s" %
                                ("" if bf else "_batch_first")))
    c.append(recurrent_case("lstm_bidir_lengths_nobias", "lstm",
                            dict(input_size=3, hidden_size=4, bidirectional=True, bias=False), 6, 4, lengths=True))
    c.append(recurrent_case("lstm_lengths_int64", "lstm", dict(input_size=3, hidden_size=4), 6, 3, lengths=True,
                            lengths_dtype="int64", description="lengths given as int64 (<i8)"))
    c.append(recurrent_case("lstm_large_bidir2_lengths", "lstm",
                            dict(input_size=13, hidden_size=33, num_layers=2, bidirectional=True), 16, 5,
                            lengths=True, description="a larger case (sizes not multiples of 4 or 8)"))
    c.append(recurrent_case("gru_plain", "gru", dict(input_size=4, hidden_size=5), 6, 3))
    c.append(recurrent_case("gru_bidir2_lengths_h0", "gru",
                            dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True), 7, 4,
                            lengths=True, h0=True))
    c.append(recurrent_case("gru_bidir2_lengths_batch_first", "gru",
                            dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), 6, 4,
                            lengths=True, bf=True))
    c.append(recurrent_case("gru_large", "gru", dict(input_size=17, hidden_size=40), 20, 3,
                            description="a larger case"))
    c.append(recurrent_case("rnn_tanh", "rnn", dict(input_size=4, hidden_size=5, nonlinearity="tanh"), 6, 3))
    c.append(recurrent_case("rnn_relu", "rnn", dict(input_size=4, hidden_size=5, nonlinearity="relu"), 6, 3))
    c.append(recurrent_case("rnn_relu_bidir2_lengths_h0", "rnn",
                            dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True,
                                 nonlinearity="relu"), 7, 4, lengths=True, h0=True))
    c.append(recurrent_case("rnn_tanh_lengths_batch_first", "rnn",
                            dict(input_size=3, hidden_size=6, nonlinearity="tanh"), 5, 4, lengths=True, bf=True))
    return c


def np_recurrent_weights(prefix, kind, cfg, rng):
    """PyTorch-style init U(-1/sqrt(H), 1/sqrt(H)) (peepholes too), float32."""
    L = cfg.get("num_layers", 1)
    D = 2 if cfg.get("bidirectional") else 1
    H = cfg["hidden_size"]
    P = cfg.get("proj_size", 0)
    Hout = P or H
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    k = 1.0 / math.sqrt(H)
    u = lambda *shape: rng.uniform(-k, k, size=shape).astype(np.float32)  # noqa: E731
    w = OrderedDict()
    for layer in range(L):
        in_k = cfg["input_size"] if layer == 0 else D * Hout
        for d in range(D):
            s = "_l%d%s" % (layer, "_reverse" if d else "")
            w[prefix + ".weight_ih" + s] = u(G * H, in_k)
            w[prefix + ".weight_hh" + s] = u(G * H, Hout)
            if cfg.get("bias", True):
                w[prefix + ".bias_ih" + s] = u(G * H)
                w[prefix + ".bias_hh" + s] = u(G * H)
            if P:
                w[prefix + ".weight_hr" + s] = u(P, H)
            if cfg.get("peephole"):
                for g in ("i", "f", "o"):
                    w[prefix + ".weight_p%s%s" % (g, s)] = u(H)
    return w


def float64_recurrent_case(name, kind, cfg, T, B, lengths=False, h0=False, bf=False, garbage=False,
                           description=""):
    rng = seeded(name)
    cfg = OrderedDict(cfg)
    H = cfg["hidden_size"]
    Hout = cfg.get("proj_size", 0) or H
    D = 2 if cfg.get("bidirectional") else 1
    LD = cfg.get("num_layers", 1) * D
    I = cfg["input_size"]
    weights = np_recurrent_weights("rnn", kind, cfg, rng)
    if garbage:
        # Input-gate rows (and p_i) hold huge values: a coupled LSTM must not read them.
        for n, a in weights.items():
            if re.search(r"\.(weight_ih|weight_hh|bias_ih|bias_hh)_l", n):
                a[:H] = rng.uniform(-1000.0, 1000.0, size=a[:H].shape).astype(np.float32)
            elif ".weight_pi_" in n:
                a[:] = rng.uniform(-1000.0, 1000.0, size=a.shape).astype(np.float32)
    x = randn(rng, (T, B, I))
    lens = rand_lengths(T, B, rng) if lengths else None
    h0v = randn(rng, (LD, B, Hout), 0.5) if h0 else None
    c0v = randn(rng, (LD, B, H), 0.5) if h0 and kind == "lstm" else None
    params = recurrent_params(kind, cfg, dict_getw(weights, "rnn"))
    y, h_n, c_n = recurrent_np(kind, x.astype(np.float64), params, cfg, h0v, c0v, lens)
    if garbage:
        # The garbage rows are ignored...
        clean = OrderedDict((n, a.copy()) for n, a in weights.items())
        for n, a in clean.items():
            if re.search(r"\.(weight_ih|weight_hh|bias_ih|bias_hh)_l", n):
                a[:H] = 0.0
            elif ".weight_pi_" in n:
                a[:] = 0.0
        y2, _, _ = recurrent_np(kind, x.astype(np.float64), recurrent_params(kind, cfg, dict_getw(clean, "rnn")),
                                cfg, h0v, c0v, lens)
        assert np.array_equal(y, y2)
        # ...and would change everything if they were read.
        uncoupled = dict(cfg, coupled=False)
        y3, _, _ = recurrent_np(kind, x.astype(np.float64), recurrent_params(kind, uncoupled,
                                dict_getw(weights, "rnn")), uncoupled, h0v, c0v, lens)
        assert np.abs(y3 - y).max() > 0.1
    inputs, data, slots, outputs, expected = recurrent_io(kind, x, bf, I, LD, Hout, H, h0v if h0 else None, c0v,
                                                          lens if lengths else None, y, h_n, c_n)
    model = desc(name, inputs, [lay(kind, "rnn", slots, **cfg)], outputs, batch_first=bf)
    extra = ["lengths %s" % lens.tolist()] if lengths else []
    if h0:
        extra.append("initial state from inputs")
    if bf:
        extra.append("batch_first")
    descr = ("%s %s computed by this script's float64 NumPy implementation of the spec equations (checked "
             "against PyTorch and ONNX's reference); %s%s" %
             (kind, json.dumps(cfg), "; ".join(extra) if extra else "no lengths",
              "; " + description if description else ""))
    return Case(name, "float64", descr, model, weights, data, expected)


def float64_cases():
    c = []
    c.append(float64_recurrent_case("lstm_peephole", "lstm",
                                    dict(input_size=4, hidden_size=5, peephole=True), 6, 3))
    c.append(float64_recurrent_case("lstm_peephole_bidir2_lengths_h0", "lstm",
                                    dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True,
                                         peephole=True), 7, 4, lengths=True, h0=True))
    c.append(float64_recurrent_case("lstm_peephole_proj_batch_first", "lstm",
                                    dict(input_size=3, hidden_size=6, proj_size=4, peephole=True), 6, 3,
                                    h0=True, bf=True))
    c.append(float64_recurrent_case("lstm_coupled", "lstm", dict(input_size=4, hidden_size=5, coupled=True), 6, 3))
    c.append(float64_recurrent_case("lstm_coupled_garbage_input_gate", "lstm",
                                    dict(input_size=4, hidden_size=5, num_layers=2, coupled=True), 6, 3,
                                    lengths=True, garbage=True,
                                    description="input-gate rows of weight_ih/weight_hh/bias_ih/bias_hh hold "
                                                "values up to +-1000, which coupled must ignore"))
    c.append(float64_recurrent_case("lstm_peephole_coupled_garbage_input_gate", "lstm",
                                    dict(input_size=4, hidden_size=5, peephole=True, coupled=True), 6, 3,
                                    h0=True, garbage=True,
                                    description="input-gate rows and weight_pi hold values up to +-1000, "
                                                "which coupled must ignore"))
    c.append(float64_recurrent_case("lstm_peephole_coupled_proj_bidir2_lengths_h0", "lstm",
                                    dict(input_size=4, hidden_size=6, num_layers=2, bidirectional=True,
                                         proj_size=3, peephole=True, coupled=True), 7, 4, lengths=True, h0=True))
    c.append(float64_recurrent_case("gru_lbr_false", "gru",
                                    dict(input_size=4, hidden_size=5, linear_before_reset=False), 6, 3))
    c.append(float64_recurrent_case("gru_lbr_false_bidir2_lengths_h0", "gru",
                                    dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True,
                                         linear_before_reset=False), 7, 4, lengths=True, h0=True))
    return c


def recurrent_io(kind, x, bf, I, LD, Hout, H, h0v, c0v, lens, y, h_n, c_n):
    """The inputs (declarations, data, the layer's slots), outputs and expected
    values of a one-layer-name "rnn" golden case: x, then h0 (and c0 for
    lstm) when h0v is not None, then lengths when lens is not None."""
    inputs = [inp("x", "float32", ["B", "T", I] if bf else ["T", "B", I])]
    data = OrderedDict([("x", np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x))])
    slots = OrderedDict([("x", "x")])
    if h0v is not None:
        inputs.append(inp("h0", "float32", [LD, "B", Hout]))
        data["h0"] = h0v
        slots["h0"] = "h0"
        if kind == "lstm":
            inputs.append(inp("c0", "float32", [LD, "B", H]))
            data["c0"] = c0v
            slots["c0"] = "c0"
    if lens is not None:
        inputs.append(inp("lengths", "int32", ["B"]))
        data["lengths"] = lens
        slots["lengths"] = "lengths"
    outputs = ["rnn", "rnn:h_n"] + (["rnn:c_n"] if kind == "lstm" else [])
    expected = OrderedDict([("rnn", y.transpose(1, 0, 2) if bf else y), ("rnn:h_n", h_n)])
    if kind == "lstm":
        expected["rnn:c_n"] = c_n
    return inputs, data, slots, outputs, expected
