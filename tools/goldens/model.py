"""Evaluates a seqrt description in float64 as the spec says: the op table
(slots and attributes of every op) and each op's evaluation."""

import re
from collections import OrderedDict

import numpy as np

from .spec import (ACTIVATIONS, SpecError, affine, attention_np, log_softmax_np, masked_softmax_np, mha_np,
                   recurrent_np, recurrent_params, rnn_dirs, softmax_np)

NPY_DTYPES = {"float32": "<f4", "int32": "<i4", "int64": "<i8"}

# Op table: slots (name -> "req" | "opt" | "list") and attributes
# (name -> (type, default)); type is "int", "bool", "num", "strs" (list of
# strings), "nums" (list of numbers) or a tuple of strings. V11_ATTRS came
# with format 1.1: a description using them must say "version": 1.1.
REQ = object()
_RNN_ATTRS = {"input_size": ("int", REQ), "hidden_size": ("int", REQ), "num_layers": ("int", 1),
              "bidirectional": ("bool", False), "bias": ("bool", True), "dropout": ("num", 0.0),
              "direction": (("forward", "reverse", "bidirectional"), "forward"), "clip": ("num", 0.0),
              "activations": ("strs", None), "activation_alpha": ("nums", None),
              "activation_beta": ("nums", None)}
V11_ATTRS = {"direction", "clip", "input_forget", "activations", "activation_alpha", "activation_beta",
             "alpha", "beta"}
_FUNCS = ("relu", "tanh", "sigmoid", "gelu")
# The activation op's functions: _FUNCS and, since format 1.1, "affine"
# (alpha * x + beta; alpha and beta belong to it alone).
_ACT_FUNCS = _FUNCS + ("affine",)
OPS = {
    "embedding": ({"x": "req"}, {"num_embeddings": ("int", REQ), "embedding_dim": ("int", REQ)}),
    "one_hot": ({"x": "req"}, {"depth": ("int", REQ)}),
    "lstm": ({"x": "req", "h0": "opt", "c0": "opt", "lengths": "opt"},
             dict(_RNN_ATTRS, proj_size=("int", 0), peephole=("bool", False), coupled=("bool", False),
                  input_forget=("bool", False))),
    "gru": ({"x": "req", "h0": "opt", "lengths": "opt"},
            dict(_RNN_ATTRS, linear_before_reset=("bool", True))),
    "rnn": ({"x": "req", "h0": "opt", "lengths": "opt"},
            dict(_RNN_ATTRS, linear_before_reset=("bool", True), nonlinearity=(("tanh", "relu"), "tanh"))),
    "linear": ({"x": "req"}, {"in_features": ("int", REQ), "out_features": ("int", REQ), "bias": ("bool", True)}),
    "activation": ({"x": "req"}, {"function": (_ACT_FUNCS, REQ), "alpha": ("num", 1.0), "beta": ("num", 0.0)}),
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
    elif typ == "strs":
        ok = isinstance(val, list) and all(isinstance(v, str) for v in val)
    elif typ == "nums":
        ok = isinstance(val, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in val)
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
    version = model.get("version")
    if model.get("format") != "seqrt" or version not in (1, 1.1) or isinstance(version, bool):
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
            if key in V11_ATTRS and version != 1.1:
                raise SpecError("layer %s: attribute %s needs \"version\": 1.1" % (lname, key))
            at[key] = val
        for key, (_, default) in attrs.items():
            if key not in at:
                if default is REQ:
                    raise SpecError("layer %s: missing attribute %s" % (lname, key))
                at[key] = default
        if op in ("lstm", "gru", "rnn"):
            _check_recurrent(lname, layer, at)
        if op == "activation":
            _check_activation(lname, layer, at, version)

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


def _check_activation(lname, given, at, version):
    """affine came with format 1.1; alpha and beta are affine's alone."""
    if at["function"] == "affine" and version != 1.1:
        raise SpecError("layer %s: function affine needs \"version\": 1.1" % lname)
    for key in ("alpha", "beta"):
        if key in given and at["function"] != "affine":
            raise SpecError("layer %s: attribute %s is only meaningful for function affine" % (lname, key))
        if not np.isfinite(at[key]):
            raise SpecError("layer %s: attribute %s must be finite" % (lname, key))


def _check_recurrent(lname, given, at):
    """The rules between recurrent attributes (format 1.1's among them)."""
    if "direction" in given and "bidirectional" in given and \
            (at["direction"] == "bidirectional") != at["bidirectional"]:
        raise SpecError("layer %s: direction and bidirectional disagree" % lname)
    if at.get("coupled") and at.get("input_forget"):
        raise SpecError("layer %s: coupled and input_forget exclude each other" % lname)
    if "nonlinearity" in given and at["activations"]:
        raise SpecError("layer %s: nonlinearity and activations exclude each other" % lname)
    if at["clip"] < 0:
        raise SpecError("layer %s: clip < 0" % lname)


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
        L, D, H = at["num_layers"], rnn_dirs(at), at["hidden_size"]
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
        if at["function"] == "affine":
            return {"": affine(vals["x"], at["alpha"], at["beta"])}
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
