"""Case list of format 1.1's recurrent attributes (descriptions with
"version": 1.1): the gate functions of `activations` with given and default
activation_alpha / activation_beta, per-direction lists, `clip`,
`input_forget`, `direction` "reverse" (one layer and a 2-layer stack) and
"bidirectional". Expected values come from the float64 implementation of
the spec (spec.recurrent_np), which the self-test checks against the
ONNX-native oracle (onnx_rnn.py)."""

import json
import re
from collections import OrderedDict

import numpy as np

from .case import Case, desc, lay, rand_lengths, randn
from .cases_recurrent import np_recurrent_weights, recurrent_io
from .spec import dict_getw, recurrent_np, recurrent_params, rnn_dirs
from .torch_eval import seeded

# Rows of each gate in seqrt's (PyTorch's) order, for the garbage checks.
_GATE_ROWS = {"lstm": {"i": 0, "f": 1, "g": 2, "o": 3}}


def _evaluate(kind, cfg, weights, x, h0, c0, lens):
    params = recurrent_params(kind, cfg, dict_getw(weights, "rnn"))
    return recurrent_np(kind, x.astype(np.float64), params, cfg, h0, c0, lens)


def v11_case(name, kind, cfg, T, B, lengths=False, h0=False, bf=False, garbage_gate=None, bites=None,
             description=""):
    """One lstm/gru/rnn layer "rnn" of a version 1.1 description.
    garbage_gate (lstm): that gate's rows (and peephole) hold values up to
    +-1000 that the cell must not read (checked: zeroing them changes
    nothing). bites: a dict of attributes whose removal must change the
    output by more than 1e-3 (e.g. a clip small enough to act)."""
    rng = seeded(name)
    cfg = OrderedDict(cfg)
    H = cfg["hidden_size"]
    LD = cfg.get("num_layers", 1) * rnn_dirs(cfg)
    I = cfg["input_size"]
    weights = np_recurrent_weights("rnn", kind, dict(cfg, bidirectional=rnn_dirs(cfg) == 2), rng)
    x = randn(rng, (T, B, I))
    lens = rand_lengths(T, B, rng) if lengths else None
    h0v = randn(rng, (LD, B, H), 0.5) if h0 else None
    c0v = randn(rng, (LD, B, H), 0.5) if h0 and kind == "lstm" else None
    if garbage_gate:
        k = _GATE_ROWS[kind][garbage_gate]
        clean = OrderedDict()
        for n, a in weights.items():
            clean[n] = a.copy()
            if re.search(r"\.(weight_ih|weight_hh|bias_ih|bias_hh)_l", n):
                a[k * H:(k + 1) * H] = rng.uniform(-1000.0, 1000.0, size=a[k * H:(k + 1) * H].shape)
                clean[n][k * H:(k + 1) * H] = 0.0
            elif ".weight_p%s_" % garbage_gate in n:
                a[:] = rng.uniform(-1000.0, 1000.0, size=a.shape).astype(np.float32)
                clean[n][:] = 0.0
    y, h_n, c_n = _evaluate(kind, cfg, weights, x, h0v, c0v, lens)
    if garbage_gate:
        y2, _, _ = _evaluate(kind, cfg, clean, x, h0v, c0v, lens)
        assert np.array_equal(y, y2), (name, "garbage rows were read")
    for attr, val in (bites or {}).items():
        other = OrderedDict((k, v) for k, v in cfg.items() if k != attr)
        if val is not None:
            other[attr] = val
        y3, _, _ = _evaluate(kind, other, weights, x, h0v, c0v, lens)
        assert np.abs(y3 - y).max() > 1e-3, (name, attr, "has no visible effect")
    inputs, data, slots, outputs, expected = recurrent_io(kind, x, bf, I, LD, H, H, h0v if h0 else None, c0v,
                                                          lens if lengths else None, y, h_n, c_n)
    model = desc(name, inputs, [lay(kind, "rnn", slots, **cfg)], outputs, batch_first=bf, version=1.1)
    extra = ["lengths %s" % lens.tolist()] if lengths else []
    if h0:
        extra.append("initial state from inputs")
    if bf:
        extra.append("batch_first")
    descr = ("format 1.1: %s %s computed by this script's float64 NumPy implementation of the spec equations "
             "(checked against its ONNX-native float64 oracle); %s%s" %
             (kind, json.dumps(cfg), "; ".join(extra) if extra else "no lengths",
              "; " + description if description else ""))
    return Case(name, "float64", descr, model, weights, data, expected)


def _cfg(I, H, **kw):
    return OrderedDict([("input_size", I), ("hidden_size", H)] + list(kw.items()))


def v11_cases():
    c = []
    # Gate functions: all eleven, with explicit and default parameters.
    c.append(v11_case("lstm_acts_explicit_params", "lstm",
                      _cfg(4, 5, activations=["HardSigmoid", "ScaledTanh", "Softsign"],
                           activation_alpha=[0.25, 0.8], activation_beta=[0.45, 1.25]), 6, 3, lengths=True,
                      description="f hardsigmoid(0.25, 0.45), g scaledtanh(0.8, 1.25), h softsign"))
    c.append(v11_case("lstm_acts_default_params", "lstm",
                      _cfg(4, 5, activations=["hardsigmoid", "elu", "scaledtanh"]), 6, 3, h0=True,
                      description="no activation_alpha/beta: hardsigmoid(0.2, 0.5), elu(1), scaledtanh(1, 1)"))
    c.append(v11_case("gru_acts_explicit_params", "gru",
                      _cfg(4, 5, linear_before_reset=False, activations=["hardsigmoid", "leakyrelu"],
                           activation_alpha=[0.3, 0.2], activation_beta=[0.4]), 6, 3, lengths=True, h0=True,
                      description="f hardsigmoid(0.3, 0.4), g leakyrelu(0.2)"))
    c.append(v11_case("gru_acts_softplus", "gru", _cfg(3, 4, activations=["Sigmoid", "Softplus"]), 5, 3,
                      description="g softplus"))
    c.append(v11_case("rnn_acts_affine", "rnn",
                      _cfg(4, 5, activations=["Affine"], activation_alpha=[0.7], activation_beta=[0.1]), 6, 3,
                      h0=True, description="f affine(0.7, 0.1)"))
    c.append(v11_case("rnn_acts_thresholdedrelu", "rnn",
                      _cfg(4, 5, activations=["ThresholdedRelu"], activation_alpha=[0.1]), 6, 3, lengths=True,
                      description="f thresholdedrelu(0.1)"))
    c.append(v11_case("rnn_acts_leakyrelu_default", "rnn", _cfg(4, 5, activations=["LEAKYRELU"]), 6, 3,
                      description="f leakyrelu with the default alpha 0.01 (name in upper case)"))
    c.append(v11_case("rnn_acts_default_params", "rnn",
                      _cfg(3, 4, num_layers=2, activations=["affine"]), 5, 2,
                      description="affine without parameters: the ONNX defaults 1, 0 (the identity)"))
    # Per-direction lists, and one list for both directions.
    c.append(v11_case("lstm_bidir_acts_per_direction", "lstm",
                      _cfg(4, 5, bidirectional=True,
                           activations=["sigmoid", "tanh", "tanh", "hardsigmoid", "softsign", "relu"],
                           activation_alpha=[0.3], activation_beta=[0.6]), 6, 4, lengths=True, h0=True,
                      description="forward sigmoid/tanh/tanh; reverse hardsigmoid(0.3, 0.6)/softsign/relu"))
    c.append(v11_case("gru_bidir2_acts_shared", "gru",
                      _cfg(4, 5, num_layers=2, bidirectional=True, activations=["hardsigmoid", "scaledtanh"],
                           activation_alpha=[0.3, 0.9], activation_beta=[0.55, 1.1]), 6, 4, lengths=True,
                      description="one list for both directions: both take hardsigmoid(0.3, 0.55), "
                                  "scaledtanh(0.9, 1.1)"))
    c.append(v11_case("rnn_bidir_acts_per_direction", "rnn",
                      _cfg(4, 5, direction="bidirectional", activations=["Relu", "Elu"], activation_alpha=[0.5]),
                      6, 4, lengths=True, h0=True,
                      description="direction \"bidirectional\"; forward relu, reverse elu(0.5)"))
    # clip small enough to act.
    c.append(v11_case("lstm_clip", "lstm", _cfg(4, 5, clip=0.3), 6, 3, lengths=True, bites={"clip": None},
                      description="clip 0.3 changes the output"))
    c.append(v11_case("lstm_clip_peephole_acts", "lstm",
                      _cfg(4, 5, peephole=True, clip=0.4, activations=["sigmoid", "relu", "tanh"]), 6, 3,
                      h0=True, bites={"clip": None},
                      description="clip 0.4 bounds g's relu argument and the peephole sums; not c_t in h"))
    c.append(v11_case("gru_clip_bidir", "gru", _cfg(4, 5, bidirectional=True, clip=0.25), 6, 4, lengths=True,
                      bites={"clip": None}, description="clip 0.25"))
    c.append(v11_case("rnn_clip_relu", "rnn", _cfg(4, 5, nonlinearity="relu", clip=0.2), 6, 3, h0=True,
                      bites={"clip": None}, description="clip 0.2 with nonlinearity relu"))
    # input_forget: f = 1 - i; the f rows and p_f are not read.
    c.append(v11_case("lstm_input_forget", "lstm", _cfg(4, 5, input_forget=True), 6, 3, h0=True,
                      garbage_gate="f", bites={"input_forget": None},
                      description="forget-gate rows hold values up to +-1000, which input_forget must ignore"))
    c.append(v11_case("lstm_input_forget_peephole_bidir_lengths", "lstm",
                      _cfg(4, 5, bidirectional=True, peephole=True, input_forget=True), 6, 4, lengths=True,
                      h0=True, garbage_gate="f", bites={"input_forget": None},
                      description="forget-gate rows and weight_pf hold values up to +-1000, which input_forget "
                                  "must ignore"))
    # direction "reverse".
    c.append(v11_case("lstm_reverse_lengths", "lstm", _cfg(4, 5, direction="reverse"), 7, 4, lengths=True,
                      description="one direction from step len-1 down to 0; weights with the plain names"))
    c.append(v11_case("lstm_reverse_lengths_h0_batch_first", "lstm",
                      _cfg(3, 4, direction="reverse", peephole=True), 6, 4, lengths=True, h0=True, bf=True))
    c.append(v11_case("gru_reverse_lengths_h0", "gru", _cfg(4, 5, direction="reverse"), 7, 4, lengths=True,
                      h0=True))
    c.append(v11_case("rnn_reverse_h0", "rnn", _cfg(4, 5, direction="reverse", activations=["softsign"]), 6, 3,
                      h0=True, description="f softsign"))
    c.append(v11_case("lstm_reverse_2layer_lengths_h0", "lstm",
                      _cfg(4, 5, num_layers=2, direction="reverse", clip=0.5), 7, 4, lengths=True, h0=True,
                      description="a 2-layer reverse stack: layer 1 reads layer 0's output in time order"))
    c.append(v11_case("gru_reverse_2layer", "gru", _cfg(3, 4, num_layers=2, direction="reverse"), 6, 3,
                      description="a 2-layer reverse stack"))
    return c
