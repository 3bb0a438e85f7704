"""Self-tests of the generator's float64 oracles, run by ctest
(goldens_selftest) and runnable by hand from tools/:

    /usr/bin/python3 -m goldens.selftest

They check the ONNX-native oracle (onnx_rnn.onnx_recurrent_np) against
ONNX's own reference helpers and its stored node vectors, then the seqrt
layout implementation (spec.recurrent_np) against that oracle on random
nodes using every format 1.1 attribute, then the generator's older
self-tests (PyTorch, ONNX helpers, ONNX LSTM vectors through the seqrt
description)."""

import sys
from collections import OrderedDict

import numpy as np
from seqrt.gates import ONNX_GATE_PERM, reorder_gates

from .onnx_rnn import GATE_FUNCTIONS, GATES, onnx_recurrent_np
from .onnx_vectors import (ONNX_NODE_DIR, ONNX_RECURRENT_TESTS, Skip, load_onnx_node_test, selftest_vs_onnx,
                           selftest_vs_onnx_helpers)
from .spec import recurrent_np


def _close(what, got, want, tol):
    """max |got - want| relative to max(1, max |want|) (unbounded gate
    functions can make values grow, and rounding with them), asserted <= tol."""
    assert np.shape(got) == np.shape(want), (what, np.shape(got), np.shape(want))
    if not np.size(want):
        return 0.0
    err = float(np.abs(np.asarray(got, dtype=np.float64) - want).max()) / max(1.0, float(np.abs(want).max()))
    assert err <= tol, (what, err)
    return err


def onnx_rnn_vs_helpers():
    """onnx_recurrent_np against ONNX's LSTM_Helper / GRU_Helper /
    RNN_Helper (forward, one direction, default functions: what they cover)
    on random weights, layouts 0 and 1."""
    from onnx.backend.test.case.node.gru import GRU_Helper
    from onnx.backend.test.case.node.lstm import LSTM_Helper
    from onnx.backend.test.case.node.rnn import RNN_Helper
    helpers = {"LSTM": LSTM_Helper, "GRU": GRU_Helper, "RNN": RNN_Helper}
    rng = np.random.default_rng(20261203)
    B, I, H = 3, 4, 3
    worst = 0.0
    for op, extra, layout in (("LSTM", {}, 0), ("LSTM", {}, 1), ("GRU", {"linear_before_reset": 0}, 0),
                              ("GRU", {"linear_before_reset": 1}, 0), ("GRU", {"linear_before_reset": 1}, 1),
                              ("RNN", {}, 0), ("RNN", {}, 1)):
        G = GATES[op]
        # The helpers take the batch size from X's axis 1 before they swap a
        # layout 1 input, so layout 1 cases have T = B.
        T = B if layout else 5
        p = {"X": rng.standard_normal((B, T, I) if layout else (T, B, I)),
             "W": rng.standard_normal((1, G * H, I)) * 0.6, "R": rng.standard_normal((1, G * H, H)) * 0.6,
             "B": rng.standard_normal((1, 2 * G * H)) * 0.5}
        if not layout:   # the helpers read initial states in layout 0 only
            p["initial_h"] = rng.standard_normal((1, B, H)) * 0.5
            if op == "LSTM":
                p["initial_c"] = rng.standard_normal((1, B, H)) * 0.5
                p["P"] = rng.standard_normal((1, 3 * H)) * 0.7
        want_y, want_h = helpers[op](**dict(p, layout=layout, **extra)).step()
        Y, Y_h, _ = onnx_recurrent_np(op, **p, layout=layout, hidden_size=H, **extra)
        worst = max(worst, _close((op, extra, layout, "Y"), Y, want_y, 1e-12))
        # The helpers' Y_h of layout 1 is right only for T = 1: take Y's last step.
        worst = max(worst, _close((op, extra, layout, "Y_h"), Y_h,
                                  want_y[:, -1] if layout else want_h, 1e-12))
    return worst


def onnx_rnn_vs_vectors(onnx_dir):
    """onnx_recurrent_np reproduces every ONNX LSTM/GRU/RNN node vector
    (stored in float32)."""
    worst = 0.0
    for name in ONNX_RECURRENT_TESTS:
        t = load_onnx_node_test(name, onnx_dir)
        names = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
        ins = {n: v for n, v in zip(names, t["ins"]) if v is not None}
        got = onnx_recurrent_np(t["op"], **ins, **t["attrs"])
        for k, want in enumerate(t["outs"]):
            if want is not None:
                worst = max(worst, _close((name, k), got[k], want, 1e-6))
    return worst


def onnx_to_seqrt(op, ins, attrs):
    """An ONNX node (onnx_recurrent_np's arguments, layout 0) as a seqrt
    layer: (cfg, params, h0, c0, lengths), weights reordered by seqrt.gates."""
    W, R = ins["W"], ins["R"]
    D, H, I = W.shape[0], R.shape[2], W.shape[2]
    G = GATES[op]
    perm = ONNX_GATE_PERM[op]
    kind = op.lower()
    cfg = OrderedDict([("input_size", I), ("hidden_size", H)])
    direction = attrs.get("direction", "forward")
    if direction != "forward":
        cfg["direction"] = direction
    if op == "GRU":
        cfg["linear_before_reset"] = bool(attrs.get("linear_before_reset", 0))
    if op == "LSTM" and "P" in ins:
        cfg["peephole"] = True
    if attrs.get("input_forget"):
        cfg["input_forget"] = True
    if attrs.get("clip") is not None:
        cfg["clip"] = attrs["clip"]
    for k in ("activations", "activation_alpha", "activation_beta"):
        if k in attrs:
            cfg[k] = list(attrs[k])
    Bias = ins.get("B", np.zeros((D, 2 * G * H)))
    params = {}
    for d in range(D):
        p = {"w_ih": reorder_gates(W[d], perm, H), "w_hh": reorder_gates(R[d], perm, H),
             "b_ih": reorder_gates(Bias[d][:G * H], perm, H), "b_hh": reorder_gates(Bias[d][G * H:], perm, H)}
        if cfg.get("peephole"):
            p["p_i"], p["p_o"], p["p_f"] = np.split(ins["P"][d], 3)
        params[(0, d)] = p
    return kind, cfg, params, ins.get("initial_h"), ins.get("initial_c"), ins.get("sequence_lens")


def _random_activations(op, rng, D):
    """A random activations list (once, or once per direction, in mixed
    case) and alpha/beta lists that sometimes run short."""
    F = {"LSTM": 3, "GRU": 2, "RNN": 1}[op]
    names = sorted(GATE_FUNCTIONS)
    acts = [str(rng.choice(names)) for _ in range(F * (D if rng.random() < 0.7 else 1))]
    acts = [a.upper() if rng.random() < 0.3 else (a.capitalize() if rng.random() < 0.5 else a) for a in acts]
    takes = [len(GATE_FUNCTIONS[a.lower()][0]) for a in acts]
    na, nb = sum(t >= 1 for t in takes), sum(t >= 2 for t in takes)
    out = {"activations": acts}
    if na and rng.random() < 0.8:
        out["activation_alpha"] = [float(v) for v in rng.uniform(0.1, 1.5, size=int(rng.integers(0, na + 1)))]
    if nb and rng.random() < 0.8:
        out["activation_beta"] = [float(v) for v in rng.uniform(-0.5, 1.5, size=int(rng.integers(0, nb + 1)))]
    return out


def seqrt_vs_onnx_rnn(n=120):
    """spec.recurrent_np (seqrt's layout and gate orders) equals
    onnx_recurrent_np on random nodes: every op, direction, clip,
    input_forget with and without peepholes, every gate function with given
    and default alpha/beta, lengths, initial states."""
    rng = np.random.default_rng(1101)
    worst = 0.0
    for k in range(n):
        op = ("LSTM", "GRU", "RNN")[k % 3]
        direction = ("forward", "reverse", "bidirectional")[(k // 3) % 3]
        D = 2 if direction == "bidirectional" else 1
        T, B, I, H = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
        G = GATES[op]
        ins = {"X": rng.standard_normal((T, B, I)), "W": rng.standard_normal((D, G * H, I)) * 0.8,
               "R": rng.standard_normal((D, G * H, H)) * 0.8, "B": rng.standard_normal((D, 2 * G * H)) * 0.5}
        attrs = {"direction": direction, "hidden_size": H}
        if rng.random() < 0.6:
            ins["sequence_lens"] = rng.integers(0, T + 1, size=B)
        if rng.random() < 0.6:
            ins["initial_h"] = rng.standard_normal((D, B, H)) * 0.5
            if op == "LSTM":
                ins["initial_c"] = rng.standard_normal((D, B, H)) * 0.5
        if op == "LSTM" and rng.random() < 0.5:
            ins["P"] = rng.standard_normal((D, 3 * H)) * 0.7
        if op == "LSTM" and rng.random() < 0.4:
            attrs["input_forget"] = 1
        if op == "GRU":
            attrs["linear_before_reset"] = int(rng.integers(0, 2))
        if rng.random() < 0.5:
            attrs["clip"] = float(rng.uniform(0.2, 2.0))
        if rng.random() < 0.75:
            attrs.update(_random_activations(op, rng, D))
        Y, Y_h, Y_c = onnx_recurrent_np(op, **ins, **attrs)
        kind, cfg, params, h0, c0, lens = onnx_to_seqrt(op, ins, attrs)
        y, h_n, c_n = recurrent_np(kind, ins["X"], params, cfg, h0, c0, lens)
        what = (k, op, attrs, sorted(ins))
        worst = max(worst, _close(what + ("Y",), y, Y.transpose(0, 2, 1, 3).reshape(T, B, D * H), 1e-12))
        worst = max(worst, _close(what + ("Y_h",), h_n, Y_h, 1e-12))
        if op == "LSTM":
            worst = max(worst, _close(what + ("Y_c",), c_n, Y_c, 1e-12))
    return worst


def main():
    print("self-test: ONNX oracle vs ONNX's reference helpers: max |diff| %.1e" % onnx_rnn_vs_helpers())
    try:
        print("self-test: ONNX oracle vs ONNX's node vectors: max |diff| %.1e" % onnx_rnn_vs_vectors(ONNX_NODE_DIR))
        print("self-test: float64 LSTM descriptions vs ONNX node vectors: max |diff| %.1e"
              % selftest_vs_onnx(ONNX_NODE_DIR))
    except Skip as e:
        print("self-test vs ONNX node vectors skipped: %s" % e)
    print("self-test: seqrt-layout float64 vs ONNX oracle (1.1 attributes, random nodes): max |diff| %.1e"
          % seqrt_vs_onnx_rnn())
    print("self-test: float64 LSTM/GRU vs ONNX reference helpers (descriptions): max |diff| %.1e"
          % selftest_vs_onnx_helpers())
    from .torch_eval import selftest_vs_torch
    print("self-test: float64 recurrences vs PyTorch float64: max |diff| %.1e" % selftest_vs_torch())
    return 0


if __name__ == "__main__":
    sys.exit(main())
