"""ONNX's LSTM, GRU and RNN operators in float64, in ONNX's own terms: its
tensor layouts, gate orders (LSTM i, o, f, c; GRU z, r, h; peepholes
P = [p_i, p_o, p_f]) and every attribute. It is an oracle written from the
ONNX operator definitions with NumPy only (nothing of seqrt), so the seqrt
layout implementation (spec.py), the ONNX importer and the reference can be
checked against it. ONNX Runtime's reading is followed where ONNX leaves
room: activation_alpha / activation_beta are consumed in order by the
functions that take one, `clip` bounds every gate function's argument but
not c_t in h(c_t), input_forget is f = 1 - i; a function short of a
parameter takes the default of the ONNX operator of that name (ONNX Runtime
would use 0 for affine, scaledtanh and thresholdedrelu)."""

import numpy as np

# name -> (defaults of alpha[, beta], function of (x, alpha, beta)).
# The table is written separately from spec.py's so the two cross-check.
GATE_FUNCTIONS = {
    "sigmoid": ((), lambda x, a, b: 0.5 * (1.0 + np.tanh(0.5 * x))),
    "tanh": ((), lambda x, a, b: np.tanh(x)),
    "relu": ((), lambda x, a, b: np.where(x > 0, x, 0.0)),
    "affine": ((1.0, 0.0), lambda x, a, b: a * x + b),
    "leakyrelu": ((0.01,), lambda x, a, b: np.where(x >= 0, x, a * x)),
    "thresholdedrelu": ((1.0,), lambda x, a, b: np.where(x > a, x, 0.0)),
    "scaledtanh": ((1.0, 1.0), lambda x, a, b: a * np.tanh(b * x)),
    "hardsigmoid": ((0.2, 0.5), lambda x, a, b: np.minimum(np.maximum(a * x + b, 0.0), 1.0)),
    "elu": ((1.0,), lambda x, a, b: np.where(x >= 0, x, a * (np.exp(np.minimum(x, 0.0)) - 1.0))),
    "softsign": ((), lambda x, a, b: x / (1.0 + np.abs(x))),
    "softplus": ((), lambda x, a, b: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)),
}
DEFAULT_ACTIVATIONS = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"], "RNN": ["tanh"]}
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
ATTRIBUTES = {"activations", "activation_alpha", "activation_beta", "clip", "direction", "hidden_size",
              "input_forget", "linear_before_reset", "layout"}


def gate_functions(op, D, activations=None, alpha=None, beta=None):
    """The gate functions of each direction, [[fn(x), ...] per direction]:
    ONNX lists them once per direction (forward first); a list given once
    for a bidirectional node serves both directions with the same
    parameters (as seqrt reads it)."""
    F = len(DEFAULT_ACTIVATIONS[op])
    names = [n.lower() for n in (activations or DEFAULT_ACTIVATIONS[op] * D)]
    shared = D == 2 and len(names) == F
    if len(names) != (F if shared else D * F):
        raise ValueError("%s takes %d activations per direction, got %d" % (op, F, len(names)))
    alpha, beta = list(alpha or []), list(beta or [])
    fns = []
    for n in names:
        defaults, fn = GATE_FUNCTIONS[n]
        a = alpha.pop(0) if len(defaults) >= 1 and alpha else (defaults[0] if defaults else 0.0)
        b = beta.pop(0) if len(defaults) >= 2 and beta else (defaults[1] if len(defaults) > 1 else 0.0)
        fns.append(lambda x, fn=fn, a=a, b=b: fn(np.asarray(x, dtype=np.float64), a, b))
    if alpha or beta:
        raise ValueError("more activation_alpha/activation_beta values than the functions take")
    return [fns] * 2 if shared else [fns[d * F:(d + 1) * F] for d in range(D)]


def _lstm_step(x, h, c, W, R, Bw, Br, P, fns, q, input_forget):
    f_, g_, h_ = fns
    H = h.shape[0]
    a = W @ x + R @ h + Bw + Br
    a_i, a_o, a_f, a_c = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
    p_i, p_o, p_f = P[:H], P[H:2 * H], P[2 * H:]
    i = f_(q(a_i + p_i * c))
    f = 1.0 - i if input_forget else f_(q(a_f + p_f * c))
    c_new = f * c + i * g_(q(a_c))
    o = f_(q(a_o + p_o * c_new))
    return o * h_(c_new), c_new


def _gru_step(x, h, W, R, Bw, Br, fns, q, lbr):
    f_, g_ = fns
    H = h.shape[0]
    z = f_(q(W[:H] @ x + R[:H] @ h + Bw[:H] + Br[:H]))
    r = f_(q(W[H:2 * H] @ x + R[H:2 * H] @ h + Bw[H:2 * H] + Br[H:2 * H]))
    if lbr:
        n = g_(q(W[2 * H:] @ x + r * (R[2 * H:] @ h + Br[2 * H:]) + Bw[2 * H:]))
    else:
        n = g_(q(W[2 * H:] @ x + R[2 * H:] @ (r * h) + Br[2 * H:] + Bw[2 * H:]))
    return (1.0 - z) * n + z * h


def onnx_recurrent_np(op, X, W, R, B=None, sequence_lens=None, initial_h=None, initial_c=None, P=None, **attrs):
    """Runs ONNX node `op` ("LSTM", "GRU" or "RNN") in float64 on its inputs
    (ONNX's shapes: X [T, B, I], W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H],
    sequence_lens [B], initial_h/initial_c [D, B, H], P [D, 3*H]; with
    layout 1, X [B, T, I] and initial_h/initial_c [B, D, H]) and attributes
    (ONNX's names). Returns (Y, Y_h, Y_c or None): Y [T, D, B, H], Y_h and
    Y_c [D, B, H]; with layout 1, Y [B, T, D, H], Y_h and Y_c [B, D, H].
    Steps past a batch entry's sequence length are 0 in Y; the reverse
    direction starts at len-1; Y_h / Y_c hold the state after the last step
    that ran (the initial state where the length is 0)."""
    bad = set(attrs) - ATTRIBUTES
    if bad:
        raise ValueError("unknown attributes %s" % sorted(bad))
    f64 = lambda a: None if a is None else np.asarray(a, dtype=np.float64)  # noqa: E731
    X, W, R, B, initial_h, initial_c, P = map(f64, (X, W, R, B, initial_h, initial_c, P))
    layout = attrs.get("layout", 0)
    if layout:
        X = X.transpose(1, 0, 2)
        initial_h = None if initial_h is None else initial_h.transpose(1, 0, 2)
        initial_c = None if initial_c is None else initial_c.transpose(1, 0, 2)
    T, Bn, _ = X.shape
    D, GH, _ = W.shape
    H = R.shape[2]
    G = GATES[op]
    direction = attrs.get("direction", "forward")
    if D != (2 if direction == "bidirectional" else 1) or GH != G * H or attrs.get("hidden_size", H) != H:
        raise ValueError("W %s / R %s do not fit direction %s, hidden_size %s"
                         % (W.shape, R.shape, direction, attrs.get("hidden_size")))
    fns = gate_functions(op, D, attrs.get("activations"), attrs.get("activation_alpha"),
                         attrs.get("activation_beta"))
    clip = attrs.get("clip")
    q = (lambda v: v) if clip is None else (lambda v: np.clip(v, -clip, clip))
    if B is None:
        B = np.zeros((D, 2 * G * H))
    if P is None:
        P = np.zeros((D, 3 * H))
    lens = np.full(Bn, T) if sequence_lens is None else np.asarray(sequence_lens, dtype=np.int64)
    Y = np.zeros((T, D, Bn, H))
    Y_h = np.zeros((D, Bn, H))
    Y_c = np.zeros((D, Bn, H))
    for d in range(D):
        reverse = d == 1 or direction == "reverse"
        Bw, Br = B[d][:G * H], B[d][G * H:]
        for b in range(Bn):
            h = np.zeros(H) if initial_h is None else initial_h[d, b].copy()
            c = np.zeros(H) if initial_c is None else initial_c[d, b].copy()
            for t in (range(lens[b] - 1, -1, -1) if reverse else range(lens[b])):
                if op == "LSTM":
                    h, c = _lstm_step(X[t, b], h, c, W[d], R[d], Bw, Br, P[d], fns[d], q,
                                      attrs.get("input_forget", 0))
                elif op == "GRU":
                    h = _gru_step(X[t, b], h, W[d], R[d], Bw, Br, fns[d], q, attrs.get("linear_before_reset", 0))
                else:
                    h = fns[d][0](q(W[d] @ X[t, b] + R[d] @ h + Bw + Br))
                Y[t, d, b] = h
            Y_h[d, b] = h
            Y_c[d, b] = c
    if op != "LSTM":
        Y_c = None
    if layout:
        Y = Y.transpose(2, 0, 1, 3)
        Y_h = Y_h.transpose(1, 0, 2)
        Y_c = None if Y_c is None else Y_c.transpose(1, 0, 2)
    return Y, Y_h, Y_c
