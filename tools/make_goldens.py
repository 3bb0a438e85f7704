#!/usr/bin/env python3
"""Generate seqrt's golden conformance cases (conformance/data/golden/).

Run from the repository root with Debian's Python (the one that has the
python3-torch, python3-numpy and python3-onnx packages; libonnx-testdata
provides the ONNX node test vectors):

    /usr/bin/python3 tools/make_goldens.py [--out conformance/data/golden]

Options: --verify (write nothing: re-read every case in --out from disk and
check it against the float64 evaluation), --out DIR (default conformance/data/golden, relative to the current
directory), --only SUBSTR (write only cases whose name contains SUBSTR; the
other cases and the README are left alone), --onnx-dir DIR (default
/usr/share/libonnx-testdata/data/node).

The script is deterministic (every case has its own fixed seed) and rewrites
the whole directory: it deletes every case directory it finds there (a
directory holding a case.json), then writes each case, README.md and
cases.txt. It prints one line per case. Tests never run it: its output is
committed.

Each case is a directory <case>/ holding
    model.json            seqrt description (format "seqrt", version 1),
                          "weights": "model.safetensors"
    model.safetensors     F32 weights named as PyTorch's state_dict() names,
                          prefixed with the layer name
    input.<name>.npy      one per model input (<f4; ids and lengths <i4 or <i8)
    expected.<value>.npy  one per model output (':' written as '.'), <f4
    case.json             {"source", "description", "atol", "rtol"
                           [, "tolerance_note"]}

Where the expected values come from ("source"):
    pytorch   torch modules run in float64 on the float32 weights and inputs
              (attention ops: torch code written here from the spec equations)
    onnx      the outputs stored in ONNX's own node test vectors
    float64   this script's NumPy float64 implementation of the spec (used
              where PyTorch has no equivalent: peephole / coupled LSTM, GRU
              with linear_before_reset false)

Before writing anything the script checks its NumPy float64 implementation
against PyTorch (<= 1e-9 in float64) and against ONNX's LSTM vectors; every
case is then evaluated again by that implementation, which reads only the
files being written (description, weights, inputs), and must agree with the
expected values, so a wrong description, weight name or conversion fails at
generation time.
"""

import argparse
import glob
import json
import math
import os
import re
import shutil
import struct
import sys
import zlib
from collections import OrderedDict

import numpy as np

DEFAULT_ATOL = 1e-4
DEFAULT_RTOL = 1e-3
ONNX_NODE_DIR = "/usr/share/libonnx-testdata/data/node"
DEFAULT_OUT = os.path.join("conformance", "data", "golden")


class SpecError(Exception):
    """A description, weight file or input that does not follow the spec."""


# ---------------------------------------------------------------------------
# File writers / readers
# ---------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> array) as F32 safetensors.

    Layout: u64 little-endian header length N, N bytes of JSON header
    {name: {dtype, shape, data_offsets}} padded with spaces so N is a multiple
    of 8, then the tensors' bytes back to back in header order.
    """
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = OrderedDict(metadata)
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        data = a.tobytes()
        header[name] = OrderedDict([("dtype", "F32"), ("shape", list(a.shape)),
                                    ("data_offsets", [offset, offset + len(data)])])
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Reads an F32 safetensors file back (used to check what was written)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SpecError("%s: dtype %s" % (name, info["dtype"]))
        b, e = info["data_offsets"]
        if not (0 <= b <= e <= len(buf) - base):
            raise SpecError("%s: offsets out of range" % name)
        count = int(np.prod(info["shape"], dtype=np.int64))
        if (e - b) != 4 * count:
            raise SpecError("%s: size mismatch" % name)
        out[name] = np.frombuffer(buf[base + b:base + e], dtype="<f4").reshape(info["shape"])
    return out


NPY_DTYPES = {"float32": "<f4", "int32": "<i4", "int64": "<i8"}


def write_npy(path, arr, dtype):
    a = np.ascontiguousarray(np.asarray(arr).astype(dtype))
    assert a.dtype.str == dtype, (path, a.dtype.str)
    np.save(path, a, allow_pickle=False)


def value_file(value):
    return value.replace(":", ".")


# ---------------------------------------------------------------------------
# Float64 NumPy implementation of the spec
# ---------------------------------------------------------------------------

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


def _lstm_cell(x, h, c, p, cfg):
    H = cfg["hidden_size"]
    a = p["w_ih"] @ x + p["b_ih"] + p["w_hh"] @ h + p["b_hh"]
    a_i, a_f, a_g, a_o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
    if cfg.get("peephole"):
        a_i = a_i + p["p_i"] * c
        a_f = a_f + p["p_f"] * c
    f = sigmoid(a_f)
    i = 1.0 - f if cfg.get("coupled") else sigmoid(a_i)
    g = np.tanh(a_g)
    c_new = f * c + i * g
    if cfg.get("peephole"):
        a_o = a_o + p["p_o"] * c_new
    o = sigmoid(a_o)
    h_new = o * np.tanh(c_new)
    if cfg.get("proj_size", 0) > 0:
        h_new = p["w_hr"] @ h_new
    return h_new, c_new


def _gru_cell(x, h, p, cfg):
    H = cfg["hidden_size"]
    gi = p["w_ih"] @ x + p["b_ih"]
    W_hr, W_hz, W_hn = p["w_hh"][:H], p["w_hh"][H:2 * H], p["w_hh"][2 * H:]
    b_hr, b_hz, b_hn = p["b_hh"][:H], p["b_hh"][H:2 * H], p["b_hh"][2 * H:]
    r = sigmoid(gi[:H] + W_hr @ h + b_hr)
    z = sigmoid(gi[H:2 * H] + W_hz @ h + b_hz)
    if cfg.get("linear_before_reset", True):
        n = np.tanh(gi[2 * H:] + r * (W_hn @ h + b_hn))
    else:
        n = np.tanh(gi[2 * H:] + W_hn @ (r * h) + b_hn)
    return (1.0 - z) * n + z * h


def _rnn_cell(x, h, p, cfg):
    a = p["w_ih"] @ x + p["b_ih"] + p["w_hh"] @ h + p["b_hh"]
    return np.maximum(a, 0.0) if cfg.get("nonlinearity", "tanh") == "relu" else np.tanh(a)


def recurrent_np(kind, x, params, cfg, h0=None, c0=None, lengths=None):
    """Runs an lstm/gru/rnn stack in float64 following the spec.

    x: [T, B, I]; params[(layer, direction)] = dict of w_ih, w_hh, b_ih, b_hh
    (+ w_hr, p_i, p_f, p_o for lstm); h0/c0: [L*D, B, *] or None; lengths: [B]
    or None. Returns (output [T, B, D*H_out], h_n, c_n or None).
    """
    T, B, _ = x.shape
    L = cfg.get("num_layers", 1)
    D = 2 if cfg.get("bidirectional") else 1
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
                steps = range(lens[b] - 1, -1, -1) if d == 1 else range(lens[b])
                for t in steps:
                    if kind == "lstm":
                        h, c = _lstm_cell(inp[t, b], h, c, p, cfg)
                    elif kind == "gru":
                        h = _gru_cell(inp[t, b], h, p, cfg)
                    else:
                        h = _rnn_cell(inp[t, b], h, p, cfg)
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
    D = 2 if cfg.get("bidirectional") else 1
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


# Op table: slots (name -> "req" | "opt" | "list") and attributes
# (name -> (type, default)); type is "int", "bool", "num" or a tuple of strings.
REQ = object()
_RNN_ATTRS = {"input_size": ("int", REQ), "hidden_size": ("int", REQ), "num_layers": ("int", 1),
              "bidirectional": ("bool", False), "bias": ("bool", True), "dropout": ("num", 0.0)}
_FUNCS = ("relu", "tanh", "sigmoid", "gelu")
OPS = {
    "embedding": ({"x": "req"}, {"num_embeddings": ("int", REQ), "embedding_dim": ("int", REQ)}),
    "one_hot": ({"x": "req"}, {"depth": ("int", REQ)}),
    "lstm": ({"x": "req", "h0": "opt", "c0": "opt", "lengths": "opt"},
             dict(_RNN_ATTRS, proj_size=("int", 0), peephole=("bool", False), coupled=("bool", False))),
    "gru": ({"x": "req", "h0": "opt", "lengths": "opt"},
            dict(_RNN_ATTRS, linear_before_reset=("bool", True))),
    "rnn": ({"x": "req", "h0": "opt", "lengths": "opt"},
            dict(_RNN_ATTRS, linear_before_reset=("bool", True), nonlinearity=(("tanh", "relu"), "tanh"))),
    "linear": ({"x": "req"}, {"in_features": ("int", REQ), "out_features": ("int", REQ), "bias": ("bool", True)}),
    "activation": ({"x": "req"}, {"function": (_FUNCS, REQ)}),
    "softmax": ({"x": "req"}, {"axis": ("int", -1)}),
    "log_softmax": ({"x": "req"}, {"axis": ("int", -1)}),
    "dropout": ({"x": "req"}, {"p": ("num", 0.0)}),
    "add": ({"a": "req", "b": "req"}, {}),
    "mul": ({"a": "req", "b": "req"}, {}),
    "concat": ({"x": "list"}, {"axis": ("int", -1)}),
    "select": ({"x": "req"}, {"axis": ("int", REQ), "index": ("int", REQ)}),
    "last_step": ({"x": "req", "lengths": "opt"}, {}),
    "mean_pool": ({"x": "req", "lengths": "opt"}, {}),
    "attention": ({"query": "req", "keys": "req", "values": "opt", "lengths": "opt"},
                  {"score": (("dot", "scaled_dot", "general", "additive"), REQ),
                   "attention_size": ("int", None)}),
    "attention_pool": ({"x": "req", "lengths": "opt"}, {"hidden": ("int", 64), "activation": (_FUNCS, "relu")}),
    "multihead_attention": ({"query": "req", "key": "opt", "value": "opt", "lengths": "opt"},
                            {"embed_dim": ("int", REQ), "num_heads": ("int", REQ),
                             "bias": ("bool", True), "causal": ("bool", False)}),
}
TOP_FIELDS = {"format", "version", "name", "batch_first", "weights", "inputs", "layers", "outputs", "metadata"}
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _check_attr(lname, key, val, typ):
    ok = True
    if typ == "int":
        ok = isinstance(val, int) and not isinstance(val, bool)
    elif typ == "bool":
        ok = isinstance(val, bool)
    elif typ == "num":
        ok = isinstance(val, (int, float)) and not isinstance(val, bool)
    elif isinstance(typ, tuple):
        ok = val in typ
    if not ok:
        raise SpecError("layer %s: attribute %s has a bad value %r" % (lname, key, val))


def run_model(model, weights, inputs, strict=True):
    """Evaluates a seqrt description in float64, as the spec says.

    model: the parsed description; weights: name -> array; inputs: name ->
    array (dtypes as the .npy files). Returns {value name: float64 array} for
    every entry of model["outputs"]. Raises SpecError on anything the spec
    calls an error (and, with strict, on unused weights)."""
    for key in model:
        if key not in TOP_FIELDS:
            raise SpecError("unknown field " + key)
    if model.get("format") != "seqrt" or model.get("version") != 1:
        raise SpecError("format/version")
    bf = model.get("batch_first", False)
    if not isinstance(bf, bool):
        raise SpecError("batch_first must be a bool")
    env = {}
    dims = {}
    for spec in model["inputs"]:
        if set(spec) != {"name", "dtype", "shape"}:
            raise SpecError("input fields %s" % sorted(spec))
        name = spec["name"]
        if not NAME_RE.match(name) or name in env:
            raise SpecError("input name " + name)
        if name not in inputs:
            raise SpecError("no data for input " + name)
        arr = inputs[name]
        if arr.dtype.str != NPY_DTYPES[spec["dtype"]]:
            raise SpecError("input %s: dtype %s, declared %s" % (name, arr.dtype.str, spec["dtype"]))
        if arr.ndim != len(spec["shape"]):
            raise SpecError("input %s: rank" % name)
        for dim, n in zip(spec["shape"], arr.shape):
            if isinstance(dim, str):
                if not NAME_RE.match(dim):
                    raise SpecError("bad symbol " + dim)
                if dims.setdefault(dim, n) != n:
                    raise SpecError("input %s: symbol %s is %d, bound to %d" % (name, dim, n, dims[dim]))
            elif not (isinstance(dim, int) and dim == n):
                raise SpecError("input %s: shape %s vs %s" % (name, spec["shape"], arr.shape))
        env[name] = arr.astype(np.float64) if spec["dtype"] == "float32" else arr.astype(np.int64)
    used = set()
    names = set()
    for layer in model["layers"]:
        op, lname = layer.get("op"), layer.get("name")
        if op not in OPS:
            raise SpecError("unknown op %r" % op)
        if not isinstance(lname, str) or not NAME_RE.match(lname) or lname in names or lname in env:
            raise SpecError("bad or duplicate layer name %r" % lname)
        names.add(lname)
        slots, attrs = OPS[op]
        ins = layer.get("inputs", {})
        for slot in ins:
            if slot not in slots:
                raise SpecError("layer %s: unknown slot %s" % (lname, slot))
        vals = {}
        for slot, kind in slots.items():
            if slot not in ins:
                if kind != "opt":
                    raise SpecError("layer %s: missing slot %s" % (lname, slot))
                continue
            ref = ins[slot]
            refs = ref if kind == "list" else [ref]
            if kind == "list" and not isinstance(ref, list):
                raise SpecError("layer %s: slot %s takes a list" % (lname, slot))
            for r in refs:
                if r not in env:
                    raise SpecError("layer %s: slot %s reads %r before it is defined" % (lname, slot, r))
            vals[slot] = [env[r] for r in refs] if kind == "list" else env[ref]
        at = {}
        for key, val in layer.items():
            if key in ("op", "name", "inputs"):
                continue
            if key not in attrs:
                raise SpecError("layer %s: unknown attribute %s" % (lname, key))
            _check_attr(lname, key, val, attrs[key][0])
            at[key] = val
        for key, (_, default) in attrs.items():
            if key not in at:
                if default is REQ:
                    raise SpecError("layer %s: missing attribute %s" % (lname, key))
                at[key] = default

        def getw(pname, shape, _l=lname):
            full = _l + "." + pname
            if full not in weights:
                raise SpecError("missing weight " + full)
            a = np.asarray(weights[full], dtype=np.float64)
            if tuple(a.shape) != tuple(shape):
                raise SpecError("weight %s has shape %s, expected %s" % (full, a.shape, tuple(shape)))
            used.add(full)
            return a
        getw.has = lambda pname, _l=lname: (_l + "." + pname) in weights
        out = _eval_layer(op, lname, vals, at, bf, getw)
        for extra, arr in out.items():
            env[lname if extra == "" else lname + ":" + extra] = arr
    if strict:
        unused = [n for n in weights if n not in used]
        if unused:
            raise SpecError("unused weights: " + ", ".join(unused))
    result = OrderedDict()
    for v in model["outputs"]:
        if v not in env:
            raise SpecError("output %s is not defined" % v)
        result[v] = env[v]
    return result


def _to_btf(x, bf):
    return x if bf else x.transpose(1, 0, 2)


def _lengths(vals, B, T):
    if "lengths" not in vals:
        return None
    lens = vals["lengths"]
    if lens.shape != (B,) or np.any(lens < 0) or np.any(lens > T):
        raise SpecError("lengths out of range")
    return lens


def _eval_layer(op, lname, vals, at, bf, getw):
    if op == "embedding":
        ids = vals["x"]
        V, E = at["num_embeddings"], at["embedding_dim"]
        if np.any(ids < 0) or np.any(ids >= V):
            raise SpecError("layer %s: id out of range" % lname)
        return {"": getw("weight", (V, E))[ids]}
    if op == "one_hot":
        ids = vals["x"]
        n = at["depth"]
        if np.any(ids < 0) or np.any(ids >= n):
            raise SpecError("layer %s: id out of range" % lname)
        return {"": np.eye(n)[ids]}
    if op in ("lstm", "gru", "rnn"):
        x = vals["x"]
        if x.ndim != 3 or x.shape[2] != at["input_size"]:
            raise SpecError("layer %s: x shape %s" % (lname, x.shape))
        xt = x.transpose(1, 0, 2) if bf else x
        T, B = xt.shape[:2]
        L, D, H = at["num_layers"], 2 if at["bidirectional"] else 1, at["hidden_size"]
        Hout = at.get("proj_size", 0) or H
        for s, width in (("h0", Hout), ("c0", H)):
            if s in vals and vals[s].shape != (L * D, B, width):
                raise SpecError("layer %s: %s shape %s" % (lname, s, vals[s].shape))
        params = recurrent_params(op, at, getw)
        y, h_n, c_n = recurrent_np(op, xt, params, at, vals.get("h0"), vals.get("c0"), _lengths(vals, B, T))
        out = {"": y.transpose(1, 0, 2) if bf else y, "h_n": h_n}
        if op == "lstm":
            out["c_n"] = c_n
        return out
    if op == "linear":
        x = vals["x"]
        i, o = at["in_features"], at["out_features"]
        if x.shape[-1] != i:
            raise SpecError("layer %s: in_features" % lname)
        y = x @ getw("weight", (o, i)).T
        if at["bias"]:
            y = y + getw("bias", (o,))
        return {"": y}
    if op == "activation":
        return {"": ACTIVATIONS[at["function"]](vals["x"])}
    if op == "softmax":
        return {"": softmax_np(vals["x"], at["axis"])}
    if op == "log_softmax":
        return {"": log_softmax_np(vals["x"], at["axis"])}
    if op == "dropout":
        return {"": vals["x"].copy()}
    if op in ("add", "mul"):
        a, b = vals["a"], vals["b"]
        if a.shape != b.shape:
            raise SpecError("layer %s: shapes differ" % lname)
        return {"": a + b if op == "add" else a * b}
    if op == "concat":
        return {"": np.concatenate(vals["x"], axis=at["axis"])}
    if op == "select":
        x = vals["x"]
        ax = at["axis"] % x.ndim
        idx = at["index"]
        if not -x.shape[ax] <= idx < x.shape[ax]:
            raise SpecError("layer %s: index out of range" % lname)
        return {"": np.take(x, idx, axis=ax)}
    if op in ("last_step", "mean_pool"):
        x = _to_btf(vals["x"], bf)
        B, T, F = x.shape
        lens = _lengths(vals, B, T)
        lens = np.full(B, T) if lens is None else lens
        y = np.zeros((B, F))
        for b in range(B):
            if lens[b] > 0:
                y[b] = x[b, lens[b] - 1] if op == "last_step" else x[b, :lens[b]].mean(axis=0)
        return {"": y}
    if op == "attention":
        q = vals["query"]
        K = _to_btf(vals["keys"], bf)
        V = _to_btf(vals["values"], bf) if "values" in vals else K
        if q.ndim == 3:
            q = _to_btf(q, bf)
        lens = _lengths(vals, K.shape[0], K.shape[1])
        ctx, wts = attention_np(q, K, V, lens, at["score"], getw, at["attention_size"])
        if ctx.ndim == 3 and not bf:
            ctx = ctx.transpose(1, 0, 2)
        return {"": ctx, "weights": wts}
    if op == "attention_pool":
        x = _to_btf(vals["x"], bf)
        B, T, F = x.shape
        A = at["hidden"]
        lens = _lengths(vals, B, T)
        lens = np.full(B, T) if lens is None else lens
        h = ACTIVATIONS[at["activation"]](x @ getw("projection.0.weight", (A, F)).T + getw("projection.0.bias", (A,)))
        s = (h @ getw("projection.2.weight", (1, A)).T + getw("projection.2.bias", (1,)))[..., 0]
        wts = masked_softmax_np(s, np.arange(T)[None, :] < lens[:, None])
        return {"": np.einsum("bt,btf->bf", wts, x), "weights": wts}
    if op == "multihead_attention":
        E, nh = at["embed_dim"], at["num_heads"]
        if E % nh:
            raise SpecError("layer %s: embed_dim %% num_heads" % lname)
        q = _to_btf(vals["query"], bf)
        k = _to_btf(vals["key"], bf) if "key" in vals else q
        v = _to_btf(vals["value"], bf) if "value" in vals else k if "key" in vals else q
        w = {"in_w": getw("in_proj_weight", (3 * E, E)), "out_w": getw("out_proj.weight", (E, E))}
        if at["bias"]:
            w["in_b"] = getw("in_proj_bias", (3 * E,))
            w["out_b"] = getw("out_proj.bias", (E,))
        else:
            w["in_b"], w["out_b"] = np.zeros(3 * E), np.zeros(E)
        lens = _lengths(vals, k.shape[0], k.shape[1])
        y, wts = mha_np(q, k, v, E, nh, w, lens, at["causal"])
        return {"": y if bf else y.transpose(1, 0, 2), "weights": wts}
    raise SpecError("unhandled op " + op)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

class Case:
    """One golden case. `check` = (atol, rtol) that the float64 evaluation of
    the written files must meet against `expected` (tighter than the case's
    own tolerance)."""

    def __init__(self, name, source, description, model, weights, inputs, expected,
                 atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL, tolerance_note=None, check=(2e-6, 2e-6)):
        self.name = name
        self.source = source
        self.description = description
        self.model = model
        self.weights = weights
        self.inputs = inputs
        self.expected = expected
        self.atol = atol
        self.rtol = rtol
        self.tolerance_note = tolerance_note
        self.check = check


def inp(name, dtype, shape):
    return OrderedDict([("name", name), ("dtype", dtype), ("shape", list(shape))])


def lay(op, name, inputs, **attrs):
    d = OrderedDict([("op", op), ("name", name), ("inputs", OrderedDict(inputs))])
    for k, v in attrs.items():
        d[k] = v
    return d


def desc(name, inputs, layers, outputs, batch_first=False, emit_batch_first=True):
    d = OrderedDict([("format", "seqrt"), ("version", 1), ("name", name)])
    if batch_first or emit_batch_first:
        d["batch_first"] = bool(batch_first)
    d["weights"] = "model.safetensors"
    d["inputs"] = inputs
    d["layers"] = layers
    d["outputs"] = outputs
    return d


def _dtype_name(arr):
    return {"<f4": "float32", "<i4": "int32", "<i8": "int64"}[arr.dtype.str]


def emit(case, outdir):
    """Validates `case` by evaluating its files with the float64 spec
    implementation, then writes its directory. Returns the largest
    |expected - float64| seen."""
    if not NAME_RE.match(case.name) or "." in case.name:
        raise SpecError("bad case name " + case.name)
    model = case.model
    if model.get("weights") != "model.safetensors":
        raise SpecError(case.name + ": weights must be model.safetensors")
    # Inputs must be exactly the declared ones; outputs exactly the expected ones.
    declared = [i["name"] for i in model["inputs"]]
    if sorted(declared) != sorted(case.inputs):
        raise SpecError("%s: inputs %s vs data %s" % (case.name, declared, sorted(case.inputs)))
    if list(model["outputs"]) != list(case.expected):
        raise SpecError("%s: outputs %s vs expected %s" % (case.name, model["outputs"], list(case.expected)))
    files = set()
    for v in model["outputs"]:
        f = value_file(v)
        if f in files:
            raise SpecError("%s: two outputs map to file %s" % (case.name, f))
        files.add(f)
    inputs = OrderedDict()
    for spec in model["inputs"]:
        arr = np.ascontiguousarray(np.asarray(case.inputs[spec["name"]]).astype(NPY_DTYPES[spec["dtype"]]))
        if not np.array_equal(arr, case.inputs[spec["name"]]):
            raise SpecError("%s: input %s changes when cast to %s" % (case.name, spec["name"], spec["dtype"]))
        inputs[spec["name"]] = arr
    weights = OrderedDict()
    for k, v in case.weights.items():
        a = np.asarray(v)
        if a.dtype != np.float32:
            a32 = a.astype(np.float32)
            if not np.array_equal(a32.astype(a.dtype), a):
                raise SpecError("%s: weight %s is not float32-exact" % (case.name, k))
            a = a32
        weights[k] = a
    expected = OrderedDict()
    for k, v in case.expected.items():
        a = np.asarray(v, dtype=np.float64)
        if not np.all(np.isfinite(a)):
            raise SpecError("%s: expected %s is not finite" % (case.name, k))
        expected[k] = a.astype(np.float32)

    # Independent evaluation from what is about to be written.
    got = run_model(json.loads(json.dumps(model)), weights, inputs, strict=True)
    worst = 0.0
    catol, crtol = case.check
    for k in expected:
        ref = got[k]
        e = expected[k].astype(np.float64)
        if ref.shape != e.shape:
            raise SpecError("%s: %s shape %s, float64 evaluation gives %s" % (case.name, k, e.shape, ref.shape))
        err = np.abs(e - ref)
        worst = max(worst, float(err.max()) if err.size else 0.0)
        bad = err > catol + crtol * np.abs(ref)
        if np.any(bad):
            i = np.unravel_index(np.argmax(err - crtol * np.abs(ref)), err.shape)
            raise SpecError("%s: %s disagrees with the float64 evaluation at %s: %r vs %r"
                            % (case.name, k, i, float(e[i]), float(ref[i])))
        # The case must also pass its own tolerance, with room to spare.
        assert np.all(err <= 0.1 * (case.atol + case.rtol * np.abs(ref))), (case.name, k)

    d = os.path.join(outdir, case.name)
    if os.path.exists(d):
        raise SpecError("case %s written twice" % case.name)
    os.makedirs(d)
    text = format_model_json(model)
    assert json.loads(text) == json.loads(json.dumps(model))
    with open(os.path.join(d, "model.json"), "w") as f:
        f.write(text)
    write_safetensors(os.path.join(d, "model.safetensors"), weights, {"format": "pt"})
    back = read_safetensors(os.path.join(d, "model.safetensors"))
    assert list(back) == list(weights) and all(np.array_equal(back[k], weights[k]) for k in weights)
    for name, arr in inputs.items():
        write_npy(os.path.join(d, "input.%s.npy" % name), arr, arr.dtype.str)
    for name, arr in expected.items():
        write_npy(os.path.join(d, "expected.%s.npy" % value_file(name)), arr, "<f4")
    meta = OrderedDict([("source", case.source), ("description", case.description),
                        ("atol", case.atol), ("rtol", case.rtol)])
    if case.tolerance_note:
        meta["tolerance_note"] = case.tolerance_note
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return worst


def format_model_json(model):
    """The description as JSON, one input / layer per line."""
    lines = []
    items = list(model.items())
    for n, (k, v) in enumerate(items):
        comma = "," if n + 1 < len(items) else ""
        if k in ("inputs", "layers") and v:
            lines.append("  %s: [" % json.dumps(k))
            lines.extend("    %s%s" % (json.dumps(e), "," if j + 1 < len(v) else "") for j, e in enumerate(v))
            lines.append("  ]" + comma)
        else:
            lines.append("  %s: %s%s" % (json.dumps(k), json.dumps(v), comma))
    return "{\n" + "\n".join(lines) + "\n}\n"


def case_seed(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def randn(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def rand_lengths(T, B, rng, zero=True, full=True):
    """int32 lengths in [0, T], including a 0 and a T where asked; the other
    entries lie strictly between (1 .. T-1) so the rows differ."""
    lens = rng.integers(1, max(T, 2), size=B).astype(np.int32)
    pos = list(rng.permutation(B))
    if full and pos:
        lens[pos.pop()] = T
    if zero and pos:
        lens[pos.pop()] = 0
    return lens


# ---------------------------------------------------------------------------
# PyTorch helpers
# ---------------------------------------------------------------------------

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

torch.set_num_threads(1)


def state(prefix, module):
    """The module's state_dict as float32 arrays named <prefix>.<param>."""
    return OrderedDict((prefix + "." + k, v.detach().cpu().numpy().astype(np.float32).copy())
                       for k, v in module.state_dict().items())


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64).copy())


def f64(t):
    return t.detach().cpu().numpy().astype(np.float64)


def torch_recurrent(mod, x, lengths=None, h0=None, c0=None):
    """Runs an nn.LSTM/GRU/RNN (float64) on x (a tensor in the module's
    layout). With lengths, runs through pack_padded_sequence; rows with
    length 0 (which PyTorch refuses to pack) are filled per the spec:
    outputs 0, final state = initial state. Returns (out, h_n, c_n|None)."""
    lstm = isinstance(mod, nn.LSTM)
    bf = mod.batch_first
    B = x.shape[0] if bf else x.shape[1]
    T = x.shape[1] if bf else x.shape[0]
    LD = mod.num_layers * (2 if mod.bidirectional else 1)
    Hout = getattr(mod, "proj_size", 0) or mod.hidden_size
    H = mod.hidden_size
    if h0 is None:
        h0 = torch.zeros(LD, B, Hout, dtype=torch.float64)
    if lstm and c0 is None:
        c0 = torch.zeros(LD, B, H, dtype=torch.float64)
    with torch.no_grad():
        if lengths is None:
            out, hx = mod(x, (h0, c0) if lstm else h0)
            return (out,) + (tuple(hx) if lstm else (hx, None))
        lens = np.asarray(lengths, dtype=np.int64)
        idx = torch.from_numpy(np.nonzero(lens > 0)[0])
        F = Hout * (2 if mod.bidirectional else 1)
        out = torch.zeros((B, T, F) if bf else (T, B, F), dtype=torch.float64)
        h_n = h0.clone()
        c_n = c0.clone() if lstm else None
        if len(idx):
            xs = x[idx] if bf else x[:, idx]
            packed = pack_padded_sequence(xs, torch.from_numpy(lens[idx.numpy()]), batch_first=bf,
                                          enforce_sorted=False)
            hx0 = (h0[:, idx].contiguous(), c0[:, idx].contiguous()) if lstm else h0[:, idx].contiguous()
            o, hx = mod(packed, hx0)
            o, _ = pad_packed_sequence(o, batch_first=bf, total_length=T)
            if bf:
                out[idx] = o
            else:
                out[:, idx] = o
            if lstm:
                h_n[:, idx] = hx[0]
                c_n[:, idx] = hx[1]
            else:
                h_n[:, idx] = hx
        return out, h_n, c_n


def rnn_attrs(mod, kind):
    """seqrt attributes of an nn.LSTM/GRU/RNN."""
    a = OrderedDict([("input_size", mod.input_size), ("hidden_size", mod.hidden_size)])
    if mod.num_layers != 1:
        a["num_layers"] = mod.num_layers
    if mod.bidirectional:
        a["bidirectional"] = True
    if kind == "lstm" and mod.proj_size:
        a["proj_size"] = mod.proj_size
    if not mod.bias:
        a["bias"] = False
    if kind == "rnn":
        a["nonlinearity"] = mod.nonlinearity
    return a


def _get_shaped(sd, name, shape):
    a = sd[name]
    assert tuple(a.shape) == tuple(shape), (name, a.shape, shape)
    return a


# ---------------------------------------------------------------------------
# Self-tests of the float64 implementation
# ---------------------------------------------------------------------------

def selftest_vs_torch():
    """The NumPy float64 recurrences agree with PyTorch (float64) to 1e-9 on
    vanilla configurations (all options PyTorch has, lengths with a 0 and a
    full length, initial states, batch_first)."""
    configs = [
        ("lstm", dict(input_size=3, hidden_size=5), False, False),
        ("lstm", dict(input_size=3, hidden_size=5, num_layers=2), True, True),
        ("lstm", dict(input_size=4, hidden_size=6, proj_size=3), False, True),
        ("lstm", dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True), True, True),
        ("lstm", dict(input_size=4, hidden_size=6, num_layers=2, bidirectional=True, proj_size=4), True, True),
        ("lstm", dict(input_size=4, hidden_size=5, bias=False, bidirectional=True), True, False),
        ("lstm", dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True, batch_first=True), True, True),
        ("gru", dict(input_size=3, hidden_size=5), False, False),
        ("gru", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), True, True),
        ("gru", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True), True, True),
        ("rnn", dict(input_size=3, hidden_size=5, nonlinearity="tanh"), True, True),
        ("rnn", dict(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, nonlinearity="relu"), True, True),
    ]
    worst = 0.0
    for n, (kind, kw, use_len, use_h0) in enumerate(configs):
        torch.manual_seed(1000 + n)
        rng = np.random.default_rng(1000 + n)
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        mod = cls(**kw).double()
        T, B = 6, 4
        bf = kw.get("batch_first", False)
        D = 2 if kw.get("bidirectional") else 1
        LD = kw.get("num_layers", 1) * D
        Hout = kw.get("proj_size", 0) or kw["hidden_size"]
        x = rng.standard_normal((T, B, kw["input_size"]))
        lens = rand_lengths(T, B, rng) if use_len else None
        h0 = rng.standard_normal((LD, B, Hout)) * 0.5 if use_h0 else None
        c0 = rng.standard_normal((LD, B, kw["hidden_size"])) * 0.5 if use_h0 and kind == "lstm" else None
        xin = x.transpose(1, 0, 2) if bf else x
        out, h_n, c_n = torch_recurrent(mod, t64(xin), lens,
                                        None if h0 is None else t64(h0), None if c0 is None else t64(c0))
        out = f64(out)
        if bf:
            out = out.transpose(1, 0, 2)
        cfg = dict(kw)
        sd = {k: f64(v) for k, v in mod.state_dict().items()}
        params = recurrent_params(kind, cfg, lambda nm, shp: _get_shaped(sd, nm, shp))
        y, hn, cn = recurrent_np(kind, x, params, cfg, h0, c0, lens)
        errs = [np.abs(y - out).max(), np.abs(hn - f64(h_n)).max()]
        if kind == "lstm":
            errs.append(np.abs(cn - f64(c_n)).max())
        err = max(errs)
        worst = max(worst, err)
        assert err <= 1e-9, ("float64 implementation disagrees with PyTorch", kind, kw, err)
    return worst


# ---------------------------------------------------------------------------
# ONNX node test vectors
# ---------------------------------------------------------------------------

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


ONNX_GATE_PERM = {
    "LSTM": [0, 2, 3, 1],  # ONNX rows i, o, f, c -> PyTorch i, f, g(=c), o
    "GRU": [1, 0, 2],      # ONNX rows z, r, h -> PyTorch r, z, n
    "RNN": [0],
}
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


def _reorder_gates(w, perm, H):
    return np.concatenate([w[g * H:(g + 1) * H] for g in perm], axis=0)


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
    perm = ONNX_GATE_PERM[op]
    G = len(perm)
    I = X.shape[2]
    notes = []
    weights = OrderedDict()
    for d in range(D):
        s = "_reverse" if d else ""
        weights["rnn.weight_ih_l0" + s] = _reorder_gates(W[d], perm, H)
        weights["rnn.weight_hh_l0" + s] = _reorder_gates(R[d], perm, H)
        if Bias is not None:
            weights["rnn.bias_ih_l0" + s] = _reorder_gates(Bias[d][:G * H], perm, H)
            weights["rnn.bias_hh_l0" + s] = _reorder_gates(Bias[d][G * H:], perm, H)
        if P is not None:  # ONNX P = [p_i, p_o, p_f]
            weights["rnn.weight_pi_l0" + s] = P[d][:H]
            weights["rnn.weight_pf_l0" + s] = P[d][2 * H:3 * H]
            weights["rnn.weight_po_l0" + s] = P[d][H:2 * H]
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


# ---------------------------------------------------------------------------
# Case builders: recurrent layers through PyTorch
# ---------------------------------------------------------------------------

RNN_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def _seeded(name):
    seed = case_seed(name)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def recurrent_case(name, kind, kw, T, B, lengths=False, h0=False, bf=False, lengths_dtype="int32",
                   concrete=False, seed_name=None, description=""):
    """One lstm/gru/rnn layer named "rnn" run by PyTorch in float64. The data
    depend only on seed_name (default: name), so two cases with the same
    seed_name (e.g. batch_first false and true) hold the same model and data."""
    rng = _seeded(seed_name or name)
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


# ---------------------------------------------------------------------------
# Case builders: peephole / coupled LSTM and GRU linear_before_reset=false
# (no PyTorch equivalent: float64 NumPy implementation)
# ---------------------------------------------------------------------------

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
    rng = _seeded(name)
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
    inputs = [inp("x", "float32", ["B", "T", I] if bf else ["T", "B", I])]
    data = OrderedDict([("x", np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x))])
    slots = OrderedDict([("x", "x")])
    if h0:
        inputs.append(inp("h0", "float32", [LD, "B", Hout]))
        data["h0"] = h0v
        slots["h0"] = "h0"
        if kind == "lstm":
            inputs.append(inp("c0", "float32", [LD, "B", H]))
            data["c0"] = c0v
            slots["c0"] = "c0"
    if lengths:
        inputs.append(inp("lengths", "int32", ["B"]))
        data["lengths"] = lens
        slots["lengths"] = "lengths"
    outputs = ["rnn", "rnn:h_n"] + (["rnn:c_n"] if kind == "lstm" else [])
    expected = OrderedDict([("rnn", y.transpose(1, 0, 2) if bf else y), ("rnn:h_n", h_n)])
    if kind == "lstm":
        expected["rnn:c_n"] = c_n
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


# ---------------------------------------------------------------------------
# Case builders: per-step and pooling ops, small models (PyTorch)
# ---------------------------------------------------------------------------

def _seq_input(name, F, bf, tsym="T"):
    return inp(name, "float32", ["B", tsym, F] if bf else [tsym, "B", F])


def _btf(t, bf):
    """[B, T, F] view of a sequence tensor in the model layout."""
    return t if bf else t.transpose(0, 1)


def torch_last_step(x, lens, bf):
    X = _btf(x, bf)
    B, T, _ = X.shape
    lens = torch.full((B,), T, dtype=torch.long) if lens is None else torch.as_tensor(lens, dtype=torch.long)
    idx = (lens - 1).clamp(min=0)
    y = X[torch.arange(B), idx]
    return y * (lens > 0).to(y.dtype)[:, None]


def torch_mean_pool(x, lens, bf):
    X = _btf(x, bf)
    B, T, _ = X.shape
    lens = torch.full((B,), T, dtype=torch.long) if lens is None else torch.as_tensor(lens, dtype=torch.long)
    mask = (torch.arange(T)[None, :] < lens[:, None]).to(X.dtype)
    s = (X * mask[:, :, None]).sum(1)
    return torch.where(lens[:, None] > 0, s / lens.clamp(min=1)[:, None].to(X.dtype), torch.zeros_like(s))


def op_cases():
    c = []
    T, B = 5, 3

    def simple(name, layers, inputs, data, expected, descr, bf=False, weights=None):
        model = desc(name, inputs, layers, list(expected), batch_first=bf)
        return Case(name, "pytorch", descr, model, weights or OrderedDict(), data, expected)

    # linear
    for name, bias, twod in (("linear", True, False), ("linear_nobias", False, False), ("linear_2d", True, True)):
        rng = _seeded(name)
        fc = nn.Linear(5, 4, bias=bias)
        w = state("fc", fc)
        fc = fc.double()
        x = randn(rng, (B, 5) if twod else (T, B, 5))
        with torch.no_grad():
            y = f64(fc(t64(x)))
        c.append(simple(name, [lay("linear", "fc", {"x": "x"}, in_features=5, out_features=4,
                                   **({} if bias else {"bias": False}))],
                        [inp("x", "float32", [B, 5] if twod else ["T", "B", 5])],
                        {"x": x}, OrderedDict(fc=y),
                        "nn.Linear(5, 4, bias=%s) on a %s input" % (bias, "[B, F]" if twod else "[T, B, F]"),
                        weights=w))
    # activations
    for fn, tf in (("relu", torch.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid),
                   ("gelu", lambda t: torch.nn.functional.gelu(t, approximate="none"))):
        name = "activation_" + fn
        rng = _seeded(name)
        x = randn(rng, (T, B, 6), 2.0)
        y = f64(tf(t64(x)))
        c.append(simple(name, [lay("activation", "act", {"x": "x"}, function=fn)], [_seq_input("x", 6, False)],
                        {"x": x}, OrderedDict(act=y), "torch %s in float64%s" %
                        (fn, " (erf form, approximate='none')" if fn == "gelu" else "")))
    # softmax / log_softmax
    for op, tf in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        for axis in (-1, 0, 1):
            name = "%s_axis%s" % (op, "_last" if axis == -1 else axis)
            rng = _seeded(name)
            x = randn(rng, (T, B, 6), 3.0)
            y = f64(tf(t64(x), dim=axis))
            attrs = {} if axis == -1 else {"axis": axis}
            c.append(simple(name, [lay(op, "sm", {"x": "x"}, **attrs)], [_seq_input("x", 6, False)],
                            {"x": x}, OrderedDict(sm=y),
                            "torch.%s(dim=%d) in float64%s" % (op, axis, " (axis attribute omitted: default -1)"
                                                               if axis == -1 else "")))
    # dropout
    rng = _seeded("dropout")
    x = randn(rng, (T, B, 4))
    drop = nn.Dropout(0.5).eval()
    c.append(simple("dropout", [lay("dropout", "drop", {"x": "x"}, p=0.5)], [_seq_input("x", 4, False)],
                    {"x": x}, OrderedDict(drop=f64(drop(t64(x)))), "nn.Dropout(0.5) in eval mode: identity"))
    # add / mul
    for op in ("add", "mul"):
        rng = _seeded(op)
        a, b = randn(rng, (T, B, 4)), randn(rng, (T, B, 4))
        y = f64(t64(a) + t64(b) if op == "add" else t64(a) * t64(b))
        c.append(simple(op, [lay(op, "y", {"a": "a", "b": "b"})],
                        [_seq_input("a", 4, False), _seq_input("b", 4, False)],
                        OrderedDict(a=a, b=b), OrderedDict(y=y), "elementwise %s" % op))
    # concat
    rng = _seeded("concat_axis_last")
    xs = [randn(rng, (T, B, f)) for f in (3, 2, 4)]
    c.append(simple("concat_axis_last", [lay("concat", "cat", {"x": ["a", "b", "c"]})],
                    [_seq_input(n, f, False) for n, f in zip("abc", (3, 2, 4))],
                    OrderedDict(zip("abc", xs)), OrderedDict(cat=f64(torch.cat([t64(v) for v in xs], -1))),
                    "torch.cat of three sequences on the last axis (axis attribute omitted)"))
    rng = _seeded("concat_axis0")
    a, b = randn(rng, (4, B, 3)), randn(rng, (2, B, 3))
    c.append(simple("concat_axis0", [lay("concat", "cat", {"x": ["a", "b"]}, axis=0)],
                    [_seq_input("a", 3, False), _seq_input("b", 3, False, tsym="S")],
                    OrderedDict(a=a, b=b), OrderedDict(cat=f64(torch.cat([t64(a), t64(b)], 0))),
                    "torch.cat on axis 0 (time) of a [T,B,3] and a [S,B,3] input"))
    # select
    rng = _seeded("select_axis1_negative")
    x = randn(rng, (T, B, 4))
    c.append(simple("select_axis1_negative",
                    [lay("select", "s1", {"x": "x"}, axis=1, index=-1),
                     lay("select", "s2", {"x": "x"}, axis=-1, index=2)],
                    [_seq_input("x", 4, False)], {"x": x},
                    OrderedDict(s1=f64(t64(x)[:, -1]), s2=f64(t64(x)[:, :, 2])),
                    "select axis 1 index -1 (last batch entry, [T, F]) and axis -1 index 2 ([T, B])"))
    # last_step / mean_pool
    for op, tf in (("last_step", torch_last_step), ("mean_pool", torch_mean_pool)):
        for use_len, bf in ((False, False), (True, False), (True, True)):
            name = op + ("_lengths" if use_len else "") + ("_batch_first" if bf else "")
            rng = _seeded(name)
            Tn, Bn = 6, 4
            x = randn(rng, (Tn, Bn, 3))
            lens = rand_lengths(Tn, Bn, rng) if use_len else None
            xin = np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x)
            y = f64(tf(t64(xin), lens, bf))
            inputs = [_seq_input("x", 3, bf)]
            data = OrderedDict(x=xin)
            slots = OrderedDict(x="x")
            if use_len:
                inputs.append(inp("lengths", "int32", ["B"]))
                data["lengths"] = lens
                slots["lengths"] = "lengths"
            c.append(simple(name, [lay(op, "pool", slots)], inputs, data, OrderedDict(pool=y),
                            "%s%s%s" % (op, " with lengths %s (zeros where 0)" % lens.tolist() if use_len else "",
                                        "; batch_first" if bf else ""), bf=bf))
    return c


def model_cases():
    """Small whole models: char-LM shapes, classifiers, pooling after an LSTM."""
    c = []
    # embedding -> lstm -> linear (char-LM), int32 and int64 ids, and batch_first with a GRU
    for name, idt in (("charlm_embedding_lstm_linear", "int32"), ("charlm_int64_ids", "int64")):
        rng = _seeded(name)
        V, E, H, T, B = 12, 6, 8, 7, 3
        emb, rnn, fc = nn.Embedding(V, E), nn.LSTM(E, H, num_layers=2), nn.Linear(H, V)
        w = OrderedDict(list(state("embed", emb).items()) + list(state("rnn", rnn).items()) +
                        list(state("fc", fc).items()))
        emb, rnn, fc = emb.double(), rnn.double(), fc.double()
        ids = rng.integers(0, V, size=(T, B))
        with torch.no_grad():
            out, (h, cc) = rnn(emb(torch.from_numpy(ids)))
            y = fc(out)
        model = desc(name, [inp("tokens", idt, ["T", "B"])],
                     [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                      lay("lstm", "rnn", {"x": "embed"}, input_size=E, hidden_size=H, num_layers=2),
                      lay("linear", "fc", {"x": "rnn"}, in_features=H, out_features=V)],
                     ["fc", "rnn:h_n", "rnn:c_n"])
        c.append(Case(name, "pytorch", "nn.Embedding(%d,%d) -> nn.LSTM(%d,%d,num_layers=2) -> nn.Linear(%d,%d), "
                      "%s token ids" % (V, E, E, H, H, V, idt), model, w,
                      OrderedDict(tokens=ids.astype(NPY_DTYPES[idt])),
                      OrderedDict([("fc", f64(y)), ("rnn:h_n", f64(h)), ("rnn:c_n", f64(cc))])))
    name = "embedding_gru_linear_batch_first"
    rng = _seeded(name)
    V, E, H, T, B = 10, 5, 6, 6, 3
    emb, rnn, fc = nn.Embedding(V, E), nn.GRU(E, H, batch_first=True), nn.Linear(H, V)
    w = OrderedDict(list(state("embed", emb).items()) + list(state("rnn", rnn).items()) +
                    list(state("fc", fc).items()))
    emb, rnn, fc = emb.double(), rnn.double(), fc.double()
    ids = rng.integers(0, V, size=(B, T))
    with torch.no_grad():
        out, h = rnn(emb(torch.from_numpy(ids)))
        y = torch.log_softmax(fc(out), -1)
    model = desc(name, [inp("tokens", "int32", ["B", "T"])],
                 [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                  lay("gru", "rnn", {"x": "embed"}, input_size=E, hidden_size=H),
                  lay("linear", "fc", {"x": "rnn"}, in_features=H, out_features=V),
                  lay("log_softmax", "logp", {"x": "fc"})],
                 ["logp", "rnn:h_n"], batch_first=True)
    c.append(Case(name, "pytorch", "batch_first token ids [B,T] -> nn.Embedding -> nn.GRU(batch_first=True) -> "
                  "nn.Linear -> log_softmax", model, w, OrderedDict(tokens=ids.astype(np.int32)),
                  OrderedDict([("logp", f64(y)), ("rnn:h_n", f64(h))])))
    # one_hot -> lstm -> linear
    name = "onehot_lstm_linear"
    rng = _seeded(name)
    V, H, T, B = 9, 7, 6, 3
    rnn, fc = nn.LSTM(V, H), nn.Linear(H, V)
    w = OrderedDict(list(state("rnn", rnn).items()) + list(state("fc", fc).items()))
    rnn, fc = rnn.double(), fc.double()
    ids = rng.integers(0, V, size=(T, B))
    with torch.no_grad():
        out, (h, cc) = rnn(torch.nn.functional.one_hot(torch.from_numpy(ids), V).double())
        y = fc(out)
    model = desc(name, [inp("tokens", "int32", ["T", "B"])],
                 [lay("one_hot", "onehot", {"x": "tokens"}, depth=V),
                  lay("lstm", "rnn", {"x": "onehot"}, input_size=V, hidden_size=H),
                  lay("linear", "fc", {"x": "rnn"}, in_features=H, out_features=V)],
                 ["fc", "rnn:h_n", "onehot"])
    c.append(Case(name, "pytorch", "F.one_hot(ids, %d) -> nn.LSTM(%d,%d) -> nn.Linear(%d,%d)" % (V, V, H, H, V),
                  model, w, OrderedDict(tokens=ids.astype(np.int32)),
                  OrderedDict([("fc", f64(y)), ("rnn:h_n", f64(h)),
                               ("onehot", np.eye(V)[ids])])))
    # classifier: embedding -> lstm (lengths) -> select(h_n, last layer) -> linear -> log_softmax
    name = "lstm_classifier_select_hn"
    rng = _seeded(name)
    V, E, H, T, B, K = 11, 5, 6, 7, 4, 3
    emb, rnn, fc = nn.Embedding(V, E), nn.LSTM(E, H, num_layers=2), nn.Linear(H, K)
    w = OrderedDict(list(state("embed", emb).items()) + list(state("rnn", rnn).items()) +
                    list(state("fc", fc).items()))
    emb, rnn, fc = emb.double(), rnn.double(), fc.double()
    ids = rng.integers(0, V, size=(T, B))
    lens = rand_lengths(T, B, rng)
    with torch.no_grad():
        out, h, cc = torch_recurrent(rnn, emb(torch.from_numpy(ids)), lens)
        y = torch.log_softmax(fc(h[-1]), -1)
    model = desc(name, [inp("tokens", "int32", ["T", "B"]), inp("lengths", "int32", ["B"])],
                 [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                  lay("lstm", "rnn", {"x": "embed", "lengths": "lengths"}, input_size=E, hidden_size=H,
                      num_layers=2),
                  lay("select", "last", {"x": "rnn:h_n"}, axis=0, index=-1),
                  lay("linear", "fc", {"x": "last"}, in_features=H, out_features=K),
                  lay("log_softmax", "logp", {"x": "fc"})],
                 ["logp", "last"])
    c.append(Case(name, "pytorch", "embedding -> 2-layer LSTM with lengths %s -> select h_n[-1] -> linear -> "
                  "log_softmax" % lens.tolist(), model, w,
                  OrderedDict(tokens=ids.astype(np.int32), lengths=lens),
                  OrderedDict([("logp", f64(y)), ("last", f64(h[-1]))])))
    # bidirectional lstm (lengths) -> last_step + mean_pool -> concat -> linear
    for bf in (False, True):
        name = "bilstm_last_step_mean_pool_lengths" + ("_batch_first" if bf else "")
        rng = _seeded("bilstm_last_step_mean_pool_lengths")
        I, H, T, B = 3, 4, 6, 4
        rnn, fc = nn.LSTM(I, H, bidirectional=True, batch_first=bf), nn.Linear(4 * H, 2)
        w = OrderedDict(list(state("rnn", rnn).items()) + list(state("fc", fc).items()))
        rnn, fc = rnn.double(), fc.double()
        x = randn(rng, (T, B, I))
        lens = rand_lengths(T, B, rng)
        xin = np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x)
        with torch.no_grad():
            out, _, _ = torch_recurrent(rnn, t64(xin), lens)
            last = torch_last_step(out, lens, bf)
            mean = torch_mean_pool(out, lens, bf)
            y = fc(torch.cat([last, mean], -1))
        model = desc(name, [_seq_input("x", I, bf), inp("lengths", "int32", ["B"])],
                     [lay("lstm", "rnn", {"x": "x", "lengths": "lengths"}, input_size=I, hidden_size=H,
                          bidirectional=True),
                      lay("last_step", "last", {"x": "rnn", "lengths": "lengths"}),
                      lay("mean_pool", "mean", {"x": "rnn", "lengths": "lengths"}),
                      lay("concat", "cat", {"x": ["last", "mean"]}),
                      lay("linear", "fc", {"x": "cat"}, in_features=4 * H, out_features=2)],
                     ["fc", "last", "mean"], batch_first=bf)
        c.append(Case(name, "pytorch", "bidirectional LSTM with lengths %s -> last_step and mean_pool (with "
                      "lengths) -> concat -> linear%s" % (lens.tolist(), "; batch_first" if bf else ""),
                      model, w, OrderedDict(x=xin, lengths=lens),
                      OrderedDict([("fc", f64(y)), ("last", f64(last)), ("mean", f64(mean))])))
    # select on h_n of a bidirectional 2-layer LSTM
    name = "select_hn_bidir2"
    rng = _seeded(name)
    rnn = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    w = state("rnn", rnn)
    rnn = rnn.double()
    x = randn(rng, (5, 3, 3))
    with torch.no_grad():
        out, (h, cc) = rnn(t64(x))
    model = desc(name, [_seq_input("x", 3, False)],
                 [lay("lstm", "rnn", {"x": "x"}, input_size=3, hidden_size=4, num_layers=2, bidirectional=True),
                  lay("select", "last_rev", {"x": "rnn:h_n"}, axis=0, index=-1),
                  lay("select", "last_fwd", {"x": "rnn:h_n"}, axis=0, index=2),
                  lay("select", "c_first", {"x": "rnn:c_n"}, axis=0, index=-4)],
                 ["last_rev", "last_fwd", "c_first"])
    c.append(Case(name, "pytorch", "select on h_n/c_n [4,B,H] of a 2-layer bidirectional LSTM: index -1 (last "
                  "layer, reverse), 2 (last layer, forward), -4 (first row)", model, w, OrderedDict(x=x),
                  OrderedDict([("last_rev", f64(h[-1])), ("last_fwd", f64(h[2])), ("c_first", f64(cc[0]))])))
    return c


# ---------------------------------------------------------------------------
# Case builders: attention (torch code following the spec equations)
# ---------------------------------------------------------------------------

class AdditiveScore(nn.Module):
    """v . tanh(W_q q + W_k k + b_k); state_dict names query.weight,
    key.weight, key.bias (if key_bias), v.weight."""

    def __init__(self, Hq, Hk, A, key_bias=True):
        super().__init__()
        self.query = nn.Linear(Hq, A, bias=False)
        self.key = nn.Linear(Hk, A, bias=key_bias)
        self.v = nn.Linear(A, 1, bias=False)


def amplify(module, gain):
    """Scales a float32 module's parameters in place (the result is what gets
    stored, so it stays float32-exact). Used in the attention cases so that
    hidden states and scores spread over several units and the attention
    weights are far from uniform."""
    with torch.no_grad():
        for prm in module.parameters():
            prm.mul_(gain)
    return module


def make_scorer(score, Hq, Hk, A):
    if score == "general":
        return nn.Linear(Hk, Hq, bias=False)   # weight [Hq, Hk]: score = q . (W k)
    if score == "additive":
        return AdditiveScore(Hq, Hk, A, True)
    if score == "additive_nobias":
        return AdditiveScore(Hq, Hk, A, False)
    return None


def torch_attention(q, keys, values, lens, score, scorer, bf):
    """Spec attention in torch: q [B,Hq] or a sequence; keys/values sequences
    in the model layout. Returns (context, weights)."""
    K, V = _btf(keys, bf), _btf(values, bf)
    vec = q.dim() == 2
    Q = q.unsqueeze(1) if vec else _btf(q, bf)
    if score in ("dot", "scaled_dot"):
        S = torch.bmm(Q, K.transpose(1, 2))
        if score == "scaled_dot":
            S = S / math.sqrt(K.shape[-1])
    elif score == "general":
        S = torch.bmm(Q, scorer(K).transpose(1, 2))
    else:
        S = scorer.v(torch.tanh(scorer.query(Q).unsqueeze(2) + scorer.key(K).unsqueeze(1))).squeeze(-1)
    if lens is not None:
        pad = torch.arange(K.shape[1])[None, None, :] >= torch.as_tensor(lens, dtype=torch.long)[:, None, None]
        S = S.masked_fill(pad, float("-inf"))
    W = torch.nan_to_num(torch.softmax(S, dim=-1), nan=0.0)   # a row with no valid key: all 0
    ctx = torch.bmm(W, V)
    if vec:
        return ctx[:, 0], W[:, 0]
    return (ctx if bf else ctx.transpose(0, 1)), W


def _score_attrs(score, A):
    if score.startswith("additive"):
        return {"score": "additive", "attention_size": A}
    return {"score": score}


def attention_case(name, score, query_kind, use_len, bf=False, separate_values=False):
    rng = _seeded(name)
    I, B, S, T, A = 3, 4, 6, 4, 5
    square = score in ("dot", "scaled_dot")
    w = OrderedDict()
    layers = []
    inputs = [_seq_input("src", I, bf, tsym="S")]
    src = randn(rng, (S, B, I))
    lens = rand_lengths(S, B, rng) if use_len else None
    src_in = np.ascontiguousarray(src.transpose(1, 0, 2) if bf else src)
    data = OrderedDict(src=src_in)
    enc_slots = OrderedDict(x="src")
    if use_len:
        enc_slots["lengths"] = "lengths"
    # Encoder: 2-layer LSTM H=6 (square scores) or bidirectional LSTM H=4 (keys 8 wide).
    if square:
        enc = nn.LSTM(I, 6, num_layers=2, batch_first=bf)
        layers.append(lay("lstm", "enc", enc_slots, input_size=I, hidden_size=6, num_layers=2))
        Hk = 6
    else:
        enc = nn.LSTM(I, 4, bidirectional=True, batch_first=bf)
        layers.append(lay("lstm", "enc", enc_slots, input_size=I, hidden_size=4, bidirectional=True))
        Hk = 8
    w.update(state("enc", amplify(enc, 3.0)))
    enc = enc.double()
    att_slots = OrderedDict()
    if query_kind == "vec":
        Hq = 6 if square else 4
        layers.append(lay("select", "query", {"x": "enc:h_n"}, axis=0, index=-1))
        att_slots["query"] = "query"
    else:
        tgt = randn(rng, (T, B, I))
        tgt_in = np.ascontiguousarray(tgt.transpose(1, 0, 2) if bf else tgt)
        inputs.append(_seq_input("tgt", I, bf))
        data["tgt"] = tgt_in
        if square:   # decoder starts from the encoder's final state
            dec = nn.LSTM(I, 6, num_layers=2, batch_first=bf)
            layers.append(lay("lstm", "dec", {"x": "tgt", "h0": "enc:h_n", "c0": "enc:c_n"}, input_size=I,
                              hidden_size=6, num_layers=2))
            Hq = 6
        else:
            dec = nn.LSTM(I, 5, batch_first=bf)
            layers.append(lay("lstm", "dec", {"x": "tgt"}, input_size=I, hidden_size=5))
            Hq = 5
        w.update(state("dec", amplify(dec, 3.0)))
        dec = dec.double()
        att_slots["query"] = "dec"
    att_slots["keys"] = "enc"
    scorer = make_scorer(score, Hq, Hk, A)
    if scorer is not None:
        w.update(state("att", amplify(scorer, 4.0)))
        scorer = scorer.double()
    if separate_values:
        val = nn.Linear(Hk, 3)
        w.update(state("val", val))
        val = val.double()
        layers.append(lay("linear", "val", {"x": "enc"}, in_features=Hk, out_features=3))
        att_slots["values"] = "val"
    if use_len:
        inputs.append(inp("lengths", "int32", ["B"]))
        data["lengths"] = lens
        att_slots["lengths"] = "lengths"
    layers.append(lay("attention", "att", att_slots, **_score_attrs(score, A)))
    with torch.no_grad():
        keys, h_n, c_n = torch_recurrent(enc, t64(src_in), lens)
        if query_kind == "vec":
            q = h_n[-1]
        else:
            q, _, _ = torch_recurrent(dec, t64(tgt_in), None, h_n, c_n) if square else \
                torch_recurrent(dec, t64(tgt_in))
        values = val(keys) if separate_values else keys
        ctx, wts = torch_attention(q, keys, values, lens, score, scorer, bf)
    model = desc(name, inputs, layers, ["att", "att:weights"], batch_first=bf)
    descr = ("%s attention%s; %s; keys = LSTM encoder outputs%s%s%s" % (
        score.replace("_nobias", " without key.bias"),
        " (attention_size %d)" % A if score.startswith("additive") else "",
        "query = last layer of the encoder's h_n ([B, H] query)" if query_kind == "vec" else
        "query = decoder LSTM outputs (sequence query, Tq=%d, Tk=%d)" % (T, S),
        " with lengths %s (a row with no valid key: zero weights and context)" % lens.tolist() if use_len else "",
        "; values = linear(keys), 3 wide" if separate_values else "", "; batch_first" if bf else ""))
    return Case(name, "pytorch", descr, model, w, data, OrderedDict([("att", f64(ctx)), ("att:weights", f64(wts))]))


def luong_case(name, bf):
    """Luong 'general' attention in an encoder-decoder: attentional hidden
    tanh(W [context; decoder]) -> vocabulary log-probabilities."""
    rng = _seeded("luong_encoder_decoder")
    I, B, S, T, H, V = 4, 3, 6, 5, 6, 7
    enc, dec = nn.LSTM(I, H, batch_first=bf), nn.LSTM(I, H, batch_first=bf)
    att = nn.Linear(H, H, bias=False)
    comb, out = nn.Linear(2 * H, H, bias=False), nn.Linear(H, V)
    for mdl in (enc, dec, att):
        amplify(mdl, 3.0)
    w = OrderedDict()
    for p, mdl in (("enc", enc), ("dec", dec), ("att", att), ("comb", comb), ("out", out)):
        w.update(state(p, mdl))
    enc, dec, att, comb, out = (mdl.double() for mdl in (enc, dec, att, comb, out))
    src, tgt = randn(rng, (S, B, I)), randn(rng, (T, B, I))
    lens = rand_lengths(S, B, rng, zero=False)
    src_in = np.ascontiguousarray(src.transpose(1, 0, 2) if bf else src)
    tgt_in = np.ascontiguousarray(tgt.transpose(1, 0, 2) if bf else tgt)
    with torch.no_grad():
        keys, h_n, c_n = torch_recurrent(enc, t64(src_in), lens)
        q, _, _ = torch_recurrent(dec, t64(tgt_in), None, h_n, c_n)
        ctx, wts = torch_attention(q, keys, keys, lens, "general", att, bf)
        hid = torch.tanh(comb(torch.cat([ctx, q], -1)))
        logp = torch.log_softmax(out(hid), -1)
    model = desc(name, [_seq_input("src", I, bf, tsym="S"), _seq_input("tgt", I, bf), inp("lengths", "int32", ["B"])],
                 [lay("lstm", "enc", {"x": "src", "lengths": "lengths"}, input_size=I, hidden_size=H),
                  lay("lstm", "dec", {"x": "tgt", "h0": "enc:h_n", "c0": "enc:c_n"}, input_size=I, hidden_size=H),
                  lay("attention", "att", {"query": "dec", "keys": "enc", "lengths": "lengths"}, score="general"),
                  lay("concat", "cat", {"x": ["att", "dec"]}, axis=-1),
                  lay("linear", "comb", {"x": "cat"}, in_features=2 * H, out_features=H, bias=False),
                  lay("activation", "hid", {"x": "comb"}, function="tanh"),
                  lay("linear", "out", {"x": "hid"}, in_features=H, out_features=V),
                  lay("log_softmax", "logp", {"x": "out"})],
                 ["logp", "att:weights", "hid"], batch_first=bf)
    descr = ("Luong encoder-decoder: encoder LSTM with lengths %s, decoder LSTM from the encoder's final state, "
             "general attention (decoder outputs as queries), tanh(W[context; decoder]) -> linear -> log_softmax%s"
             % (lens.tolist(), "; batch_first (same model and data as luong_encoder_decoder)" if bf else ""))
    return Case(name, "pytorch", descr, model, w, OrderedDict(src=src_in, tgt=tgt_in, lengths=lens),
                OrderedDict([("logp", f64(logp)), ("att:weights", f64(wts)), ("hid", f64(hid))]))


class AttentionPool(nn.Module):
    def __init__(self, F, A, act):
        super().__init__()
        self.projection = nn.Sequential(nn.Linear(F, A), {"relu": nn.ReLU, "tanh": nn.Tanh}[act](), nn.Linear(A, 1))

    def forward(self, X, lens):   # X [B, T, F]
        s = self.projection(X).squeeze(-1)
        if lens is not None:
            s = s.masked_fill(torch.arange(X.shape[1])[None, :] >= torch.as_tensor(lens, dtype=torch.long)[:, None],
                              float("-inf"))
        wts = torch.nan_to_num(torch.softmax(s, -1), nan=0.0)
        return (wts.unsqueeze(-1) * X).sum(1), wts


def attention_pool_case(name, use_len, act="relu", bf=False):
    rng = _seeded(name)
    F, A, T, B = 6, 5, 6, 4
    pool = AttentionPool(F, A, act)
    amplify(pool.projection[2], 3.0)
    w = state("pool", pool)
    pool = pool.double()
    x = randn(rng, (T, B, F))
    lens = rand_lengths(T, B, rng) if use_len else None
    xin = np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x)
    with torch.no_grad():
        y, wts = pool(_btf(t64(xin), bf), lens)
    slots = OrderedDict(x="x")
    inputs = [_seq_input("x", F, bf)]
    data = OrderedDict(x=xin)
    if use_len:
        slots["lengths"] = "lengths"
        inputs.append(inp("lengths", "int32", ["B"]))
        data["lengths"] = lens
    attrs = {"hidden": A}
    if act != "relu":
        attrs["activation"] = act
    model = desc(name, inputs, [lay("attention_pool", "pool", slots, **attrs)], ["pool", "pool:weights"],
                 batch_first=bf)
    descr = ("attention_pool: projection = nn.Sequential(nn.Linear(%d,%d), nn.%s(), nn.Linear(%d,1))%s%s" %
             (F, A, {"relu": "ReLU", "tanh": "Tanh"}[act], A,
              "; lengths %s (zeros where 0)" % lens.tolist() if use_len else "", "; batch_first" if bf else ""))
    return Case(name, "pytorch", descr, model, w, data, OrderedDict([("pool", f64(y)), ("pool:weights", f64(wts))]))


def text_classifier_case():
    name = "text_classifier_attention_pool"
    rng = _seeded(name)
    V, E, H, A, K, T, B = 15, 6, 4, 5, 3, 7, 4
    emb, rnn, pool, fc = nn.Embedding(V, E), nn.LSTM(E, H, bidirectional=True), AttentionPool(2 * H, A, "relu"), \
        nn.Linear(2 * H, K)
    amplify(rnn, 3.0)
    amplify(pool.projection[2], 3.0)
    w = OrderedDict()
    for p, mdl in (("embed", emb), ("rnn", rnn), ("pool", pool), ("fc", fc)):
        w.update(state(p, mdl))
    emb, rnn, pool, fc = (mdl.double() for mdl in (emb, rnn, pool, fc))
    ids = rng.integers(0, V, size=(T, B))
    lens = rand_lengths(T, B, rng)
    with torch.no_grad():
        out, _, _ = torch_recurrent(rnn, emb(torch.from_numpy(ids)), lens)
        y, wts = pool(out.transpose(0, 1), lens)
        probs = torch.softmax(fc(y), -1)
    model = desc(name, [inp("tokens", "int32", ["T", "B"]), inp("lengths", "int32", ["B"])],
                 [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                  lay("lstm", "rnn", {"x": "embed", "lengths": "lengths"}, input_size=E, hidden_size=H,
                      bidirectional=True),
                  lay("attention_pool", "pool", {"x": "rnn", "lengths": "lengths"}, hidden=A),
                  lay("linear", "fc", {"x": "pool"}, in_features=2 * H, out_features=K),
                  lay("softmax", "probs", {"x": "fc"})],
                 ["probs", "pool:weights"])
    return Case(name, "pytorch", "embedding -> bidirectional LSTM with lengths %s -> attention_pool -> linear -> "
                "softmax (a length-0 row: zero pooled vector, so softmax of the bias)" % lens.tolist(), model, w,
                OrderedDict(tokens=ids.astype(np.int32), lengths=lens),
                OrderedDict([("probs", f64(probs)), ("pool:weights", f64(wts))]))


def mha_case(name, bf=False, use_len=False, causal=False, bias=True, cross=None, concrete=False):
    """nn.MultiheadAttention(need_weights=True, average_attn_weights=True).
    cross: None (self-attention), "kv" (key = value = memory), "qkv" (three inputs)."""
    rng = _seeded(name)
    E, nh, T, S, B = 8, 2, 5, 6, 3
    mha = nn.MultiheadAttention(E, nh, bias=bias, batch_first=bf)
    w = state("mha", mha)
    mha = mha.double().eval()
    Tk = S if cross else T
    x = randn(rng, (T, B, E))
    seqs = OrderedDict(x=x)
    if cross:
        seqs["mem"] = randn(rng, (S, B, E))
        if cross == "qkv":
            seqs["val"] = randn(rng, (S, B, E))
    lens = rand_lengths(Tk, B, rng, zero=False) if use_len else None
    data = OrderedDict((k, np.ascontiguousarray(v.transpose(1, 0, 2) if bf else v)) for k, v in seqs.items())
    if concrete:
        inputs = [inp(k, "float32", list(v.shape)) for k, v in data.items()]
    else:
        inputs = [_seq_input(k, E, bf, tsym="T" if k == "x" else "S") for k in data]
    slots = OrderedDict(query="x")
    if cross:
        slots["key"] = "mem"
        slots["value"] = "val" if cross == "qkv" else "mem"
    if use_len:
        inputs.append(inp("lengths", "int32", [B] if concrete else ["B"]))
        data["lengths"] = lens
        slots["lengths"] = "lengths"
    attrs = OrderedDict(embed_dim=E, num_heads=nh)
    if not bias:
        attrs["bias"] = False
    if causal:
        attrs["causal"] = True
    q = t64(data["x"])
    k = t64(data["mem"]) if cross else q
    v = t64(data["val"]) if cross == "qkv" else k
    kpm = (torch.arange(Tk)[None, :] >= torch.from_numpy(lens.astype(np.int64))[:, None]) if use_len else None
    mask = torch.triu(torch.ones(T, Tk, dtype=torch.bool), diagonal=1) if causal else None
    with torch.no_grad():
        y, wts = mha(q, k, v, key_padding_mask=kpm, need_weights=True, attn_mask=mask, average_attn_weights=True)
    model = desc(name, inputs, [lay("multihead_attention", "mha", slots, **attrs)], ["mha", "mha:weights"],
                 batch_first=bf)
    what = {None: "self-attention", "kv": "cross-attention (key = value = memory input, Tk=%d)" % S,
            "qkv": "query, key and value from three inputs (Tk=%d)" % S}[cross]
    descr = "nn.MultiheadAttention(%d, %d, bias=%s, batch_first=%s), %s%s%s" % (
        E, nh, bias, bf, what, "; key padding from lengths %s" % lens.tolist() if use_len else "",
        "; causal (attn_mask = upper triangle)" if causal else "")
    return Case(name, "pytorch", descr, model, w, data, OrderedDict([("mha", f64(y)), ("mha:weights", f64(wts))]))


def attention_cases():
    c = []
    for score in ("dot", "scaled_dot", "general", "additive", "additive_nobias"):
        for qk in ("vec", "seq"):
            for use_len in (False, True):
                c.append(attention_case("attention_%s_%sq%s" % (score, qk, "_lengths" if use_len else ""),
                                        score, qk, use_len))
    c.append(attention_case("attention_general_seqq_lengths_batch_first", "general", "seq", True, bf=True))
    c.append(attention_case("attention_additive_vecq_lengths_batch_first", "additive", "vec", True, bf=True))
    c.append(attention_case("attention_scaled_dot_vecq_lengths_values", "scaled_dot", "vec", True,
                            separate_values=True))
    c.append(luong_case("luong_encoder_decoder", False))
    c.append(luong_case("luong_encoder_decoder_batch_first", True))
    c.append(attention_pool_case("attention_pool", False))
    c.append(attention_pool_case("attention_pool_lengths", True))
    c.append(attention_pool_case("attention_pool_tanh_lengths_batch_first", True, act="tanh", bf=True))
    c.append(text_classifier_case())
    c.append(mha_case("mha_self"))
    c.append(mha_case("mha_self_lengths", use_len=True))
    c.append(mha_case("mha_self_lengths_batch_first", bf=True, use_len=True))
    c.append(mha_case("mha_causal", causal=True, concrete=True))
    c.append(mha_case("mha_causal_batch_first", bf=True, causal=True))
    c.append(mha_case("mha_causal_lengths", causal=True, use_len=True))
    c.append(mha_case("mha_cross_lengths", cross="kv", use_len=True))
    c.append(mha_case("mha_qkv_lengths_batch_first", cross="qkv", use_len=True, bf=True))
    c.append(mha_case("mha_nobias", bias=False))
    return c


# ---------------------------------------------------------------------------
# ONNX cases, README, main
# ---------------------------------------------------------------------------

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


ALL_BUILDERS = [recurrent_cases, float64_cases, op_cases, model_cases, attention_cases]

README_HEAD = """# Golden conformance cases

Generated by `tools/make_goldens.py` — do not edit by hand. To regenerate
(from the repository root, with Debian's `python3-torch`, `python3-numpy`,
`python3-onnx` and `libonnx-testdata` installed):

    /usr/bin/python3 tools/make_goldens.py [--out conformance/data/golden]

The script is deterministic (fixed per-case seeds) and rewrites this whole
directory: it deletes every case directory (one holding a `case.json`), then
writes all cases, this README and `cases.txt` (one case name per line). It
runs in well under a minute. Tests never run Python; the files are committed.

## A case

Each case is a directory `<case>/`:

| file | content |
|---|---|
| `model.json` | a seqrt description (`"format": "seqrt"`, `"version": 1`), `"weights": "model.safetensors"` |
| `model.safetensors` | F32 weights (8-byte LE header length, JSON header `{name: {dtype, shape, data_offsets}}` with `__metadata__` `{"format": "pt"}`, padded with spaces to a multiple of 8, then the data); names are PyTorch `state_dict()` names prefixed with the layer name (`rnn.weight_ih_l0`, `att.key.bias`, `pool.projection.0.weight`, `mha.in_proj_weight`, ...). A model without weights has an empty file (header `{"__metadata__": ...}`). |
| `input.<name>.npy` | one per entry of the description's `inputs`: `<f4`, ids and lengths `<i4` (or `<i8` where declared `int64`) |
| `expected.<value>.npy` | one per entry of `outputs`, `:` written as `.` (`rnn:h_n` → `expected.rnn.h_n.npy`), `<f4` |
| `case.json` | `{"source", "description", "atol", "rtol"}` and, where the bound is not the spec default, `"tolerance_note"` |

A backend passes a case when, for every element, `|x - expected| <= atol +
rtol * |expected|` (spec defaults `atol` 1e-4, `rtol` 1e-3).

## Sources of the expected values

- `pytorch`: the PyTorch modules (`nn.LSTM`, `nn.GRU`, `nn.RNN`,
  `nn.Embedding`, `nn.Linear`, `nn.MultiheadAttention`, ...) built with a
  fixed seed in float32 (those float32 values are the stored weights), then
  `.double()` and run on the float32 inputs in float64; the result is rounded
  to float32 once. Recurrent layers with `lengths` run through
  `pack_padded_sequence(enforce_sorted=False)` / `pad_packed_sequence` (padded
  outputs 0); a row of length 0, which PyTorch cannot pack, is filled per the
  spec (outputs 0, `h_n`/`c_n` = the initial state). `attention`,
  `attention_pool`, `last_step` and `mean_pool` are torch code written in the
  script from the spec's equations (masked softmax; a row with no valid key
  gets zero weights and a zero context).
- `onnx`: ONNX's own node test vectors (libonnx-testdata,
  `/usr/share/libonnx-testdata/data/node/<test>/test_data_set_0`), converted
  (gate rows ONNX i,o,f,c → PyTorch i,f,g,o for LSTM, z,r,h → r,z,n for GRU;
  `B = [Wb, Rb]` split into `bias_ih`/`bias_hh`; `P = [p_i, p_o, p_f]` →
  `weight_pi/po/pf`; GRU `linear_before_reset` 0 → `false`; `layout` 1 →
  `batch_first`; `Y [T,D,B,H]` → `[T,B,D*H]`; no `B` input → `"bias": false`);
  the expected values are ONNX's stored outputs, not recomputed.
- `float64`: the script's NumPy float64 implementation of the spec equations,
  for what PyTorch lacks (peephole and coupled (CIFG) LSTM, GRU with
  `linear_before_reset: false`).

Before writing, the script asserts that its float64 implementation agrees
with PyTorch (float64, <= 1e-9) on LSTM/GRU/RNN in every PyTorch
configuration (projection, bidirectional, 2 layers, lengths with a 0 and a
full length, initial states, batch_first), with ONNX's LSTM node vectors, and
with ONNX's reference helpers (`onnx.backend.test.case.node.lstm/gru`) on
random weights, peepholes and `linear_before_reset` 0/1. Every case is then
re-evaluated by that implementation from the files being written
(description, weights, inputs — it rejects unknown ops, attributes, slots and
unused weights) and must match the expected values to about 1e-6.

## Cases

"""


def write_readme(outdir, cases, skipped):
    lines = [README_HEAD.rstrip("\n") + "\n", "| case | source | inputs | outputs | description |",
             "|---|---|---|---|---|"]
    for c in cases:
        ins = ", ".join("`%s` %s %s" % (i["name"], i["dtype"], json.dumps(i["shape"]).replace('"', ""))
                        for i in c.model["inputs"])
        outs = ", ".join("`%s`" % o for o in c.model["outputs"])
        note = c.description.replace("|", "\\|")
        if c.tolerance_note:
            note += " (tolerance: %s)" % c.tolerance_note
        lines.append("| `%s` | %s | %s | %s | %s |" % (c.name, c.source, ins, outs, note))
    if skipped:
        lines.append("\nSkipped (absent from this machine's libonnx-testdata or unsupported):\n")
        lines.extend("- `%s`: %s" % s for s in skipped)
    with open(os.path.join(outdir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def clean(outdir):
    """Deletes the case directories (those with a case.json) and the files
    this script writes; leaves anything else alone."""
    if not os.path.isdir(outdir):
        return
    for entry in sorted(os.listdir(outdir)):
        p = os.path.join(outdir, entry)
        if os.path.isdir(p) and os.path.isfile(os.path.join(p, "case.json")):
            shutil.rmtree(p)
        elif entry in ("README.md", "cases.txt"):
            os.remove(p)


def build_all(onnx_dir=ONNX_NODE_DIR):
    """Runs the self-tests and returns (cases, skipped)."""
    e1 = selftest_vs_torch()
    print("self-test: float64 recurrences vs PyTorch float64: max |diff| %.1e" % e1)
    e2 = selftest_vs_onnx_helpers()
    print("self-test: float64 LSTM/GRU vs ONNX reference helpers (random weights): max |diff| %.1e" % e2)
    skipped = []
    try:
        e3 = selftest_vs_onnx(onnx_dir)
        print("self-test: float64 LSTM vs ONNX node vectors: max |diff| %.1e" % e3)
    except Skip as e:
        print("self-test vs ONNX node vectors skipped: %s" % e)
    cases = []
    for b in ALL_BUILDERS:
        cases.extend(b())
    cases.extend(onnx_cases(onnx_dir, skipped))
    names = [c.name for c in cases]
    dup = sorted(set(n for n in names if names.count(n) > 1))
    if dup:
        raise SpecError("duplicate case names: %s" % dup)
    return cases, skipped


def verify(outdir):
    """Re-reads every case from disk (description, safetensors, .npy) and
    checks it against the float64 evaluation and its own tolerance."""
    n = 0
    for name in sorted(os.listdir(outdir)):
        d = os.path.join(outdir, name)
        if not os.path.isfile(os.path.join(d, "case.json")):
            continue
        with open(os.path.join(d, "case.json")) as f:
            meta = json.load(f)
        assert set(meta) <= {"source", "description", "atol", "rtol", "tolerance_note"}, name
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        weights = read_safetensors(os.path.join(d, model["weights"]))
        inputs = {i["name"]: np.load(os.path.join(d, "input.%s.npy" % i["name"])) for i in model["inputs"]}
        got = run_model(model, weights, inputs, strict=True)
        files = {f for f in os.listdir(d) if f.startswith(("input.", "expected."))}
        want = {"input.%s.npy" % i["name"] for i in model["inputs"]} | \
               {"expected.%s.npy" % value_file(v) for v in model["outputs"]}
        assert files == want, (name, sorted(files ^ want))
        for v in model["outputs"]:
            e = np.load(os.path.join(d, "expected.%s.npy" % value_file(v)))
            assert e.dtype.str == "<f4" and e.shape == got[v].shape, (name, v)
            ok = np.abs(e - got[v]) <= meta["atol"] + meta["rtol"] * np.abs(got[v])
            assert ok.all(), (name, v)
        n += 1
    print("verified %d cases in %s" % (n, outdir))
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate seqrt golden conformance cases.")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default %(default)s)")
    ap.add_argument("--onnx-dir", default=ONNX_NODE_DIR, help="ONNX node tests (default %(default)s)")
    ap.add_argument("--only", default=None, help="write only the cases whose name contains this")
    ap.add_argument("--verify", action="store_true",
                    help="only re-read and check the cases already in --out")
    args = ap.parse_args(argv)
    if args.verify:
        verify(args.out)
        return 0
    cases, skipped = build_all(args.onnx_dir)
    os.makedirs(args.out, exist_ok=True)
    if args.only:
        cases = [c for c in cases if args.only in c.name]
        for c in cases:
            p = os.path.join(args.out, c.name)
            if os.path.isdir(p):
                shutil.rmtree(p)
    else:
        clean(args.out)
    total = 0
    for c in cases:
        worst = emit(c, args.out)
        cdir = os.path.join(args.out, c.name)
        size = sum(os.path.getsize(os.path.join(cdir, f)) for f in os.listdir(cdir))
        total += size
        print("%-48s %-8s %6d bytes  max|expected - float64 eval| %.1e" % (c.name, c.source, size, worst))
    for name, why in skipped:
        print("%-48s SKIPPED: %s" % (name, why))
    if not args.only:
        write_readme(args.out, cases, skipped)
        with open(os.path.join(args.out, "cases.txt"), "w") as f:
            f.write("".join(c.name + "\n" for c in cases))
    print("%d cases, %d bytes, in %s" % (len(cases), total, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
