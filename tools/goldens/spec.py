"""Float64 NumPy implementation of the spec's equations: activations,
softmax, the LSTM/GRU/RNN cells and stacks, attention and multi-head
attention. SpecError is what every part of the generator raises for a
description, weight file or input that does not follow the spec."""

import math

import numpy as np


class SpecError(Exception):
    """A description, weight file or input that does not follow the spec."""


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "gelu": gelu,
}


def affine(x, alpha=1.0, beta=0.0):
    """The activation op's function "affine" (format 1.1): alpha * x + beta."""
    return alpha * np.asarray(x, dtype=np.float64) + beta


def softmax_np(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_np(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    s = x - m
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def masked_softmax_np(scores, valid):
    """Softmax over the last axis of the entries where `valid`; invalid entries
    get exactly 0, a row with no valid entry is all 0."""
    any_valid = np.any(valid, axis=-1, keepdims=True)
    m = np.max(np.where(valid, scores, -np.inf), axis=-1, keepdims=True)
    m = np.where(any_valid, m, 0.0)
    e = np.where(valid, np.exp(np.where(valid, scores, 0.0) - m), 0.0)
    den = np.sum(e, axis=-1, keepdims=True)
    return np.where(any_valid, e / np.where(any_valid, den, 1.0), 0.0)


# Gate functions of format 1.1's `activations` (ONNX's names, any case):
# name -> (defaults of the parameters it takes, f(x, alpha, beta)). Written
# apart from onnx_rnn.py's table so the self-test compares the two; sigmoid,
# tanh and relu are the functions the 1.0 cells always used.
GATE_FUNCTIONS = {
    "sigmoid": ((), lambda x, a, b: sigmoid(x)),
    "tanh": ((), lambda x, a, b: np.tanh(x)),
    "relu": ((), lambda x, a, b: np.maximum(x, 0.0)),
    "affine": ((1.0, 0.0), lambda x, a, b: a * x + b),
    "leakyrelu": ((0.01,), lambda x, a, b: np.where(x >= 0, x, a * x)),
    "thresholdedrelu": ((1.0,), lambda x, a, b: np.where(x > a, x, 0.0)),
    "scaledtanh": ((1.0, 1.0), lambda x, a, b: a * np.tanh(b * x)),
    "hardsigmoid": ((0.2, 0.5), lambda x, a, b: np.clip(a * x + b, 0.0, 1.0)),
    "elu": ((1.0,), lambda x, a, b: np.where(x >= 0, x, a * np.expm1(np.minimum(x, 0.0)))),
    "softsign": ((), lambda x, a, b: x / (1.0 + np.abs(x))),
    "softplus": ((), lambda x, a, b: np.logaddexp(0.0, x)),
}
GATE_FN_COUNT = {"lstm": 3, "gru": 2, "rnn": 1}


def rnn_dirs(cfg):
    """Number of directions of a recurrent layer (bidirectional, or format
    1.1's direction "bidirectional")."""
    return 2 if cfg.get("bidirectional") or cfg.get("direction") == "bidirectional" else 1


def gate_acts(kind, cfg):
    """The gate functions of every direction as the spec derives them:
    [[f, g, h] (lstm), [f, g] (gru) or [f] (rnn) per direction], each a
    function of the (already clipped) pre-activation. `activations` lists
    them once (both directions, with the same parameters) or once per
    direction; activation_alpha / activation_beta are consumed in order by
    the functions that take one, and one short of a value takes its default."""
    F, D = GATE_FN_COUNT[kind], rnn_dirs(cfg)
    names = [n.lower() for n in cfg.get("activations") or []]
    if not names:
        names = {"lstm": ["sigmoid", "tanh", "tanh"], "gru": ["sigmoid", "tanh"],
                 "rnn": [cfg.get("nonlinearity", "tanh")]}[kind]
    if len(names) not in (F, D * F):
        raise SpecError("%s takes %d activations per direction, got %d" % (kind, F, len(names)))
    alpha = list(cfg.get("activation_alpha") or [])
    beta = list(cfg.get("activation_beta") or [])
    fns = []
    for n in names:
        if n not in GATE_FUNCTIONS:
            raise SpecError("unknown gate function %r" % n)
        defaults, fn = GATE_FUNCTIONS[n]
        a = (alpha.pop(0) if alpha else defaults[0]) if len(defaults) > 0 else 0.0
        b = (beta.pop(0) if beta else defaults[1]) if len(defaults) > 1 else 0.0
        fns.append(lambda x, fn=fn, a=a, b=b: fn(x, a, b))
    if alpha or beta:
        raise SpecError("activation_alpha/activation_beta have more values than the functions take")
    return [fns[(d * F) % len(fns):(d * F) % len(fns) + F] for d in range(D)]


def _clipper(cfg):
    clip = cfg.get("clip", 0) or 0
    return (lambda v: np.clip(v, -clip, clip)) if clip > 0 else (lambda v: v)


def _lstm_cell(x, h, c, p, cfg, fns):
    H = cfg["hidden_size"]
    f_, g_, h_ = fns
    q = _clipper(cfg)
    a = p["w_ih"] @ x + p["b_ih"] + p["w_hh"] @ h + p["b_hh"]
    a_i, a_f, a_g, a_o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
    if cfg.get("peephole"):
        a_i = a_i + p["p_i"] * c
        a_f = a_f + p["p_f"] * c
    if cfg.get("input_forget"):
        i = f_(q(a_i))
        f = 1.0 - i
    else:
        f = f_(q(a_f))
        i = 1.0 - f if cfg.get("coupled") else f_(q(a_i))
    g = g_(q(a_g))
    c_new = f * c + i * g
    if cfg.get("peephole"):
        a_o = a_o + p["p_o"] * c_new
    o = f_(q(a_o))
    h_new = o * h_(c_new)
    if cfg.get("proj_size", 0) > 0:
        h_new = p["w_hr"] @ h_new
    return h_new, c_new


def _gru_cell(x, h, p, cfg, fns):
    H = cfg["hidden_size"]
    f_, g_ = fns
    q = _clipper(cfg)
    gi = p["w_ih"] @ x + p["b_ih"]
    W_hr, W_hz, W_hn = p["w_hh"][:H], p["w_hh"][H:2 * H], p["w_hh"][2 * H:]
    b_hr, b_hz, b_hn = p["b_hh"][:H], p["b_hh"][H:2 * H], p["b_hh"][2 * H:]
    r = f_(q(gi[:H] + W_hr @ h + b_hr))
    z = f_(q(gi[H:2 * H] + W_hz @ h + b_hz))
    if cfg.get("linear_before_reset", True):
        n = g_(q(gi[2 * H:] + r * (W_hn @ h + b_hn)))
    else:
        n = g_(q(gi[2 * H:] + W_hn @ (r * h) + b_hn))
    return (1.0 - z) * n + z * h


def _rnn_cell(x, h, p, cfg, fns):
    return fns[0](_clipper(cfg)(p["w_ih"] @ x + p["b_ih"] + p["w_hh"] @ h + p["b_hh"]))


def recurrent_np(kind, x, params, cfg, h0=None, c0=None, lengths=None):
    """Runs an lstm/gru/rnn stack in float64 following the spec.

    x: [T, B, I]; params[(layer, direction)] = dict of w_ih, w_hh, b_ih, b_hh
    (+ w_hr, p_i, p_f, p_o for lstm); h0/c0: [L*D, B, *] or None; lengths: [B]
    or None. Returns (output [T, B, D*H_out], h_n, c_n or None). cfg may hold
    format 1.1's direction, clip, input_forget and activations (gate_acts):
    a "reverse" layer's one direction runs like a bidirectional layer's
    second one (from len-1 down to 0).
    """
    T, B, _ = x.shape
    L = cfg.get("num_layers", 1)
    D = rnn_dirs(cfg)
    acts = gate_acts(kind, cfg)
    reverse = cfg.get("direction") == "reverse"
    H = cfg["hidden_size"]
    Hout = cfg.get("proj_size", 0) or H
    lens = np.full(B, T, dtype=np.int64) if lengths is None else np.asarray(lengths, dtype=np.int64)
    h_n = np.zeros((L * D, B, Hout))
    c_n = np.zeros((L * D, B, H))
    inp = np.asarray(x, dtype=np.float64)
    for k in range(L):
        outs = []
        for d in range(D):
            idx = k * D + d
            p = params[(k, d)]
            y = np.zeros((T, B, Hout))
            for b in range(B):
                h = np.array(h0[idx, b], dtype=np.float64) if h0 is not None else np.zeros(Hout)
                c = np.array(c0[idx, b], dtype=np.float64) if c0 is not None else np.zeros(H)
                steps = range(lens[b] - 1, -1, -1) if d == 1 or reverse else range(lens[b])
                for t in steps:
                    if kind == "lstm":
                        h, c = _lstm_cell(inp[t, b], h, c, p, cfg, acts[d])
                    elif kind == "gru":
                        h = _gru_cell(inp[t, b], h, p, cfg, acts[d])
                    else:
                        h = _rnn_cell(inp[t, b], h, p, cfg, acts[d])
                    y[t, b] = h
                h_n[idx, b] = h
                c_n[idx, b] = c
            outs.append(y)
        inp = np.concatenate(outs, axis=2)
    return inp, h_n, (c_n if kind == "lstm" else None)


def recurrent_params(kind, cfg, getw, hasw=None):
    """Collects recurrent weights by their PyTorch names through
    getw(param_name, shape) (shapes as in the spec)."""
    L = cfg.get("num_layers", 1)
    D = rnn_dirs(cfg)
    H = cfg["hidden_size"]
    P = cfg.get("proj_size", 0)
    Hout = P or H
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    params = {}
    for k in range(L):
        in_k = cfg["input_size"] if k == 0 else D * Hout
        for d in range(D):
            s = "_reverse" if d else ""
            p = {"w_ih": getw("weight_ih_l%d%s" % (k, s), (G * H, in_k)),
                 "w_hh": getw("weight_hh_l%d%s" % (k, s), (G * H, Hout))}
            if cfg.get("bias", True):
                p["b_ih"] = getw("bias_ih_l%d%s" % (k, s), (G * H,))
                p["b_hh"] = getw("bias_hh_l%d%s" % (k, s), (G * H,))
            else:
                p["b_ih"] = np.zeros(G * H)
                p["b_hh"] = np.zeros(G * H)
            if kind == "lstm" and P > 0:
                p["w_hr"] = getw("weight_hr_l%d%s" % (k, s), (P, H))
            if kind == "lstm" and cfg.get("peephole"):
                for g in ("i", "f", "o"):
                    p["p_" + g] = getw("weight_p%s_l%d%s" % (g, k, s), (H,))
            params[(k, d)] = p
    return params


def dict_getw(weights, prefix):
    """getw over a plain dict of arrays, checking shapes."""
    def getw(name, shape):
        full = prefix + "." + name
        if full not in weights:
            raise SpecError("missing weight " + full)
        a = np.asarray(weights[full], dtype=np.float64)
        if tuple(a.shape) != tuple(shape):
            raise SpecError("weight %s has shape %s, expected %s" % (full, a.shape, tuple(shape)))
        return a
    return getw


def attention_np(q, K, V, lengths, score, getw, attention_size=None):
    """q: [B, Hq] or [B, Tq, Hq]; K: [B, Tk, Hk]; V: [B, Tk, Hv].
    Returns (context [B, (Tq,) Hv], weights [B, (Tq,) Tk])."""
    vec = q.ndim == 2
    Q = q[:, None, :] if vec else q
    B, Tk, Hk = K.shape
    Hq = Q.shape[2]
    if score in ("dot", "scaled_dot"):
        if Hq != Hk:
            raise SpecError("%s attention needs query and key sizes equal (%d vs %d)" % (score, Hq, Hk))
        S = np.einsum("bqh,bkh->bqk", Q, K)
        if score == "scaled_dot":
            S = S / math.sqrt(Hk)
    elif score == "general":
        W = getw("weight", (Hq, Hk))
        S = np.einsum("bqh,bkh->bqk", Q, K @ W.T)
    elif score == "additive":
        A = attention_size
        if A is None:
            raise SpecError("additive attention needs attention_size")
        Wq = getw("query.weight", (A, Hq))
        Wk = getw("key.weight", (A, Hk))
        bk = getw("key.bias", (A,)) if getw.has("key.bias") else np.zeros(A)
        v = getw("v.weight", (1, A))
        e = np.tanh((Q @ Wq.T)[:, :, None, :] + (K @ Wk.T + bk)[:, None, :, :])
        S = (e @ v.T)[..., 0]
    else:
        raise SpecError("unknown score " + str(score))
    lens = np.full(B, Tk) if lengths is None else np.asarray(lengths)
    valid = (np.arange(Tk)[None, None, :] < lens[:, None, None]) & np.ones(S.shape, dtype=bool)
    Wt = masked_softmax_np(S, valid)
    ctx = Wt @ V
    if vec:
        return ctx[:, 0, :], Wt[:, 0, :]
    return ctx, Wt


def mha_np(q, k, v, E, nh, w, lengths, causal):
    """q: [B, Tq, E]; k, v: [B, Tk, E]; w: dict of in_w, in_b, out_w, out_b."""
    B, Tq, _ = q.shape
    Tk = k.shape[1]
    d = E // nh
    Wq, Wk, Wv = w["in_w"][:E], w["in_w"][E:2 * E], w["in_w"][2 * E:]
    bq, bk, bv = w["in_b"][:E], w["in_b"][E:2 * E], w["in_b"][2 * E:]
    Q = (q @ Wq.T + bq).reshape(B, Tq, nh, d).transpose(0, 2, 1, 3)
    K = (k @ Wk.T + bk).reshape(B, Tk, nh, d).transpose(0, 2, 1, 3)
    Vh = (v @ Wv.T + bv).reshape(B, Tk, nh, d).transpose(0, 2, 1, 3)
    S = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(d)
    valid = np.ones((B, 1, Tq, Tk), dtype=bool)
    if lengths is not None:
        valid &= (np.arange(Tk)[None, :] < np.asarray(lengths)[:, None])[:, None, None, :]
    if causal:
        valid &= (np.arange(Tk)[None, :] <= np.arange(Tq)[:, None])[None, None]
    valid = valid & np.ones(S.shape, dtype=bool)
    A = masked_softmax_np(S, valid)
    O = (A @ Vh).transpose(0, 2, 1, 3).reshape(B, Tq, E)
    return O @ w["out_w"].T + w["out_b"], A.mean(axis=1)
