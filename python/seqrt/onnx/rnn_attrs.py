"""The attributes of an ONNX LSTM / GRU / RNN node that become seqrt
format 1.1 attributes: direction, clip, input_forget, activations with
activation_alpha / activation_beta. rnn_attributes() resolves them the way
ONNX Runtime reads them and returns the format's attributes with every
gate-function parameter written out (docs/interop.md says why)."""

from collections import OrderedDict

# how many parameters each gate function takes (1: alpha, 2: alpha and beta)
GATE_FN_PARAMS = {"sigmoid": 0, "tanh": 0, "relu": 0, "affine": 2, "leakyrelu": 1, "thresholdedrelu": 1,
                  "scaledtanh": 2, "hardsigmoid": 2, "elu": 1, "softsign": 0, "softplus": 0}
# ONNX Runtime's value of a parameter the node leaves out (rnn_helpers.cc):
# these three functions have defaults, every other one takes 0
ORT_PARAM_DEFAULTS = {"leakyrelu": (0.01, 0.0), "hardsigmoid": (0.2, 0.5), "elu": (1.0, 0.0)}
# the op's own functions, per direction (ONNX's and seqrt's defaults)
OP_FNS = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"], "RNN": ["tanh"]}
# seqrt's clip attribute takes numbers up to 2^40
CLIP_MAX = float(1 << 40)


def _directions(op, a, fail):
    direction = a.get("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        fail("direction=%r is not forward, reverse or bidirectional" % direction)
    return direction


def _gate_fns(op, D, a, notes, fail):
    """[(name, alpha, beta)] for every direction's functions, as ONNX
    Runtime resolves them: parameters consumed in order by the functions
    that take one, a missing one ORT_PARAM_DEFAULTS's or 0."""
    F = len(OP_FNS[op])
    shared = False    # one list of F for two directions: the same functions and parameters for both
    names = [str(x).lower() for x in a.get("activations") or []]
    alphas = [float(x) for x in a.get("activation_alpha") or []]
    betas = [float(x) for x in a.get("activation_beta") or []]
    for n in names:
        if n not in GATE_FN_PARAMS:
            fail("activation %r is not one of ONNX's recurrent gate functions (%s)"
                 % (n, ", ".join(GATE_FN_PARAMS)))
    if not names:
        names = OP_FNS[op] * D
    elif op == "RNN" and D == 1 and len(names) == 2:
        # the RNN schema's default list is [Tanh, Tanh]; ONNX Runtime reads the first of two for one direction
        notes.append("activations %s for one direction: the first used (as ONNX Runtime does)" % names)
        names = names[:1]
    elif len(names) == F and D == 2:
        shared = True
        notes.append("activations %s: one list of %d for two directions, used for both (ONNX Runtime "
                     "refuses it)" % (names[:F], F))
    elif len(names) != F * D:
        fail("activations has %d functions: a %s with %d direction(s) takes %d" % (len(names), op, D, F * D))
    fns, ia, ib = [], 0, 0
    for n in names:
        np_ = GATE_FN_PARAMS[n]
        da, db = ORT_PARAM_DEFAULTS.get(n, (0.0, 0.0))
        al = be = 0.0
        if np_ >= 1:
            al, ia = (alphas[ia], ia + 1) if ia < len(alphas) else (da, ia)
        if np_ >= 2:
            be, ib = (betas[ib], ib + 1) if ib < len(betas) else (db, ib)
        fns.append((n, al, be))
    if shared:
        fns = fns * 2
    for what, vals, used in (("activation_alpha", alphas, ia), ("activation_beta", betas, ib)):
        if used < len(vals):
            notes.append("%s: %d of its %d values are not taken by any function: ignored (as ONNX Runtime does)"
                         % (what, len(vals) - used, len(vals)))
    return fns


def rnn_attributes(op, D, a, notes, fail):
    """The format attributes of ONNX `op`'s node attributes `a` (D
    directions): (OrderedDict of the attributes to write, whether one is
    format 1.1). `fail(msg)` raises; `notes` gets what the report says."""
    out, v11 = OrderedDict(), False
    if _directions(op, a, fail) == "reverse":
        out["direction"] = "reverse"
        v11 = True
    if "clip" in a:
        clip = float(a["clip"])
        if not clip > 0:
            fail("clip=%g: ONNX's clip is a positive threshold (ONNX Runtime refuses one <= 0)" % clip)
        if clip >= CLIP_MAX:
            notes.append("clip=%g is at least 2^40 (seqrt's largest clip): no finite pre-activation of a "
                         "model in float32 range reaches it in practice; dropped" % clip)
        else:
            out["clip"] = clip
            v11 = True
    if op == "LSTM" and int(a.get("input_forget", 0)):
        out["input_forget"] = True
        v11 = True
    fns = _gate_fns(op, D, a, notes, fail)
    names = [n for n, _, _ in fns]
    if names == OP_FNS[op] * D:
        return out, v11
    if op == "RNN" and names == ["relu"] * D:
        out["nonlinearity"] = "relu"
        return out, v11
    out["activations"] = names
    al = [x for n, x, _ in fns if GATE_FN_PARAMS[n] >= 1]
    be = [x for n, _, x in fns if GATE_FN_PARAMS[n] >= 2]
    if al:
        out["activation_alpha"] = al
    if be:
        out["activation_beta"] = be
    return out, True
