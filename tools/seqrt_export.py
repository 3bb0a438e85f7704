#!/usr/bin/python3
"""Export a PyTorch model to seqrt: a JSON description plus safetensors weights.

    import sys; sys.path.insert(0, "tools")       # where this file lives
    import seqrt_export as sx

    report = sx.export(model, "out/mymodel.json")  # writes out/mymodel.json + .safetensors
    print(report)                                   # what was checked, and how closely

The model's forward() is traced with torch.fx and every step is mapped onto
one of seqrt's ops (docs/interop.md lists the mapping):

  nn.Embedding, nn.LSTM, nn.GRU, nn.RNN, nn.Linear, nn.MultiheadAttention,
  nn.ReLU/Tanh/Sigmoid/GELU, nn.Softmax/LogSoftmax, nn.Dropout, nn.Identity,
  F.relu/tanh/sigmoid/gelu/softmax/log_softmax/one_hot/dropout, +, *,
  torch.cat, indexing one position (h_n[-1], y[:, -1]),
  pack_padded_sequence / pad_packed_sequence (-> the ops' `lengths` slot),
  and the spec's attention modules, defined here in PyTorch:
  Attention, AttentionPool, LastStep, MeanPool, with lengths_mask() (an
  nn.MultiheadAttention key_padding_mask) and causal_mask() (its attn_mask).

Weight names are the modules' state_dict() names, so nothing is renamed.
Before it reports success, export() runs the written model with the seqrt
program (`seqrt run`, reference backend by default) on random inputs and
compares every output with PyTorch's (run in float64 on the same weights)
under the spec's tolerance (|x - ref| <= 1e-4 + 1e-3 |ref|). A mismatch
raises ExportError and removes the files.

Command line:
    /usr/bin/python3 tools/seqrt_export.py --selftest [--seqrt build/bin/seqrt] [--keep DIR]
exports a set of test models (every supported module) and checks each
round trip.
"""

import copy
import math
import operator
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.rnn as rnn_utils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seqrt_formats as sf  # noqa: E402

__all__ = ["export", "ExportError", "ExportReport", "Attention", "AttentionPool", "LastStep",
           "MeanPool", "lengths_mask", "causal_mask"]

ATOL, RTOL = 1e-4, 1e-3


class ExportError(Exception):
    """The model cannot be exported, or seqrt's output disagrees with PyTorch's."""


# =========================================================================
# The spec's attention and pooling ops as PyTorch modules
# =========================================================================

_ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def _valid_mask(lengths, T, device):
    """[B, T] bool: step t of entry b is valid (t < lengths[b])."""
    return torch.arange(T, device=device)[None, :] < lengths.to(device)[:, None]


def _masked_softmax(scores, valid):
    """Softmax over the last axis of the valid entries; padded entries get
    exactly 0, a row with no valid entry is all 0 (never NaN)."""
    neg = torch.finfo(scores.dtype).min
    s = scores.masked_fill(~valid, neg)
    w = torch.softmax(s, dim=-1) * valid.to(scores.dtype)
    return torch.where(valid.any(dim=-1, keepdim=True), w, torch.zeros_like(w))


def _bt(x, batch_first):
    """A sequence as [B, T, F]."""
    return x if batch_first else x.transpose(0, 1)


class AttentionPool(nn.Module):
    """seqrt's `attention_pool`: scores each step with
    projection.2(activation(projection.0(x_t))), then returns the
    softmax-weighted sum of the steps over the valid ones, and the weights.

    forward(x, lengths=None) -> (pooled [B, F], weights [B, T])."""

    def __init__(self, features, hidden=64, activation="relu", batch_first=False):
        super().__init__()
        if activation not in _ACT:
            raise ValueError("activation must be one of %s" % ", ".join(_ACT))
        self.features, self.hidden, self.activation = features, hidden, activation
        self.batch_first = batch_first
        self.projection = nn.Sequential(nn.Linear(features, hidden), _ACT[activation](),
                                        nn.Linear(hidden, 1))

    def forward(self, x, lengths=None):
        xb = _bt(x, self.batch_first)
        B, T = xb.shape[0], xb.shape[1]
        scores = self.projection(xb).squeeze(-1)
        valid = (_valid_mask(lengths, T, x.device) if lengths is not None
                 else torch.ones(B, T, dtype=torch.bool, device=x.device))
        w = _masked_softmax(scores, valid)
        return torch.einsum("bt,btf->bf", w, xb), w


class Attention(nn.Module):
    """seqrt's `attention`: a query ([B, Hq], or a sequence) attends over
    keys (a sequence [T, B, Hk]) and values (default: the keys).

    score: "dot", "scaled_dot", "general" (weight [Hq, Hk]) or "additive"
    (query: Linear(Hq, A, bias=False), key: Linear(Hk, A, bias=key_bias),
    v: Linear(A, 1, bias=False)).

    forward(query, keys, values=None, lengths=None) -> (context, weights):
    context [B, Hv] (or a sequence for a sequence query), weights [B, Tk]
    (or [B, Tq, Tk])."""

    def __init__(self, score="dot", query_size=None, key_size=None, attention_size=None,
                 key_bias=True, batch_first=False):
        super().__init__()
        if score not in ("dot", "scaled_dot", "general", "additive"):
            raise ValueError("score must be dot, scaled_dot, general or additive")
        self.score, self.batch_first = score, batch_first
        if score == "general":
            self.weight = nn.Parameter(torch.randn(query_size, key_size) / math.sqrt(key_size))
        elif score == "additive":
            self.query = nn.Linear(query_size, attention_size, bias=False)
            self.key = nn.Linear(key_size, attention_size, bias=key_bias)
            self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, query, keys, values=None, lengths=None):
        kb = _bt(keys, self.batch_first)                 # [B, Tk, Hk]
        vb = kb if values is None else _bt(values, self.batch_first)
        seq = query.dim() == 3
        qb = _bt(query, self.batch_first) if seq else query[:, None, :]  # [B, Tq, Hq]
        if self.score in ("dot", "scaled_dot"):
            s = torch.einsum("bqh,bkh->bqk", qb, kb)
            if self.score == "scaled_dot":
                s = s / math.sqrt(kb.shape[-1])
        elif self.score == "general":
            s = torch.einsum("bqh,hk,btk->bqt", qb, self.weight, kb)
        else:
            e = torch.tanh(self.query(qb)[:, :, None, :] + self.key(kb)[:, None, :, :])
            s = self.v(e).squeeze(-1)
        B, Tq, Tk = s.shape
        valid = (_valid_mask(lengths, Tk, s.device) if lengths is not None
                 else torch.ones(B, Tk, dtype=torch.bool, device=s.device))
        w = _masked_softmax(s, valid[:, None, :].expand(B, Tq, Tk))
        ctx = torch.einsum("bqk,bkh->bqh", w, vb)
        if not seq:
            return ctx[:, 0, :], w[:, 0, :]
        return (ctx if self.batch_first else ctx.transpose(0, 1)), w


class LastStep(nn.Module):
    """seqrt's `last_step`: step lengths[b]-1 (or T-1) of each entry; zeros
    where lengths[b] = 0. forward(x, lengths=None) -> [B, F]."""

    def __init__(self, batch_first=False):
        super().__init__()
        self.batch_first = batch_first

    def forward(self, x, lengths=None):
        xb = _bt(x, self.batch_first)
        if lengths is None:
            return xb[:, -1, :]
        idx = (lengths.to(x.device).long() - 1).clamp(min=0)
        out = xb[torch.arange(xb.shape[0], device=x.device), idx]
        return out * (lengths.to(x.device) > 0).to(x.dtype)[:, None]


class MeanPool(nn.Module):
    """seqrt's `mean_pool`: the mean of the valid steps; zeros where
    lengths[b] = 0. forward(x, lengths=None) -> [B, F]."""

    def __init__(self, batch_first=False):
        super().__init__()
        self.batch_first = batch_first

    def forward(self, x, lengths=None):
        xb = _bt(x, self.batch_first)
        if lengths is None:
            return xb.mean(dim=1)
        valid = _valid_mask(lengths, xb.shape[1], x.device).to(x.dtype)
        n = valid.sum(dim=1, keepdim=True)
        return (xb * valid[:, :, None]).sum(dim=1) / n.clamp(min=1)


def _is_proxy(*args):
    return any(isinstance(a, torch.fx.Proxy) for a in args)


def lengths_mask(lengths, x, batch_first=False):
    """nn.MultiheadAttention's key_padding_mask for sequence x: [B, T] bool,
    True at padded steps (t >= lengths[b]). Exported as the `lengths` slot."""
    if _is_proxy(lengths, x):
        return x.tracer.create_proxy("call_function", lengths_mask, (lengths, x, batch_first), {}) \
            if isinstance(x, torch.fx.Proxy) else \
            lengths.tracer.create_proxy("call_function", lengths_mask, (lengths, x, batch_first), {})
    T = x.shape[1] if batch_first else x.shape[0]
    return ~_valid_mask(lengths, T, x.device)


def causal_mask(x, batch_first=False):
    """nn.MultiheadAttention's attn_mask hiding the keys after each query's
    position: [T, T] bool. Exported as `causal: true`."""
    if isinstance(x, torch.fx.Proxy):
        return x.tracer.create_proxy("call_function", causal_mask, (x, batch_first), {})
    T = x.shape[1] if batch_first else x.shape[0]
    return torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)


# =========================================================================
# Tracing
# =========================================================================

_ORIG_PACK = rnn_utils.pack_padded_sequence
_ORIG_PAD = rnn_utils.pad_packed_sequence
_LEAVES = (nn.Embedding, nn.LSTM, nn.GRU, nn.RNN, nn.Linear, nn.MultiheadAttention, nn.ReLU, nn.Tanh,
           nn.Sigmoid, nn.GELU, nn.Softmax, nn.LogSoftmax, nn.Dropout, nn.Identity,
           Attention, AttentionPool, LastStep, MeanPool)


def _proxy_aware(orig, arity=None):
    """`orig`, recorded as one graph node when called on traced values. With
    `arity`, the result is a tuple of that many values (so that it unpacks
    without torch.fx's bytecode inspection, which fails on newer Pythons)."""
    def wrapper(*args, **kwargs):
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, torch.fx.Proxy):
                p = a.tracer.create_proxy("call_function", orig, args, kwargs)
                return tuple(p[i] for i in range(arity)) if arity else p
        return orig(*args, **kwargs)
    wrapper.__name__ = orig.__name__
    wrapper.__wrapped__ = orig
    return wrapper


class _Tracer(torch.fx.Tracer):
    def is_leaf_module(self, m, qualname):
        return isinstance(m, _LEAVES) or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        p = super().call_module(m, forward, args, kwargs)
        if not isinstance(p, torch.fx.Proxy):
            return p
        # Modules that return tuples hand back real tuples of values.
        if isinstance(m, nn.LSTM):
            return (p[0], (p[1][0], p[1][1]))
        if isinstance(m, (nn.GRU, nn.RNN, nn.MultiheadAttention, Attention, AttentionPool)):
            return (p[0], p[1])
        return p


def _trace(model):
    tracer = _Tracer()
    pack, pad = _proxy_aware(_ORIG_PACK), _proxy_aware(_ORIG_PAD, 2)
    swaps = []   # (dict, key, original)
    spaces = [vars(rnn_utils)] + [type(m).forward.__globals__ for m in model.modules()]
    seen = set()
    for g in spaces:
        if id(g) in seen:
            continue
        seen.add(id(g))
        for k, v in list(g.items()):
            if v is _ORIG_PACK or v is _ORIG_PAD:
                swaps.append((g, k, v))
                g[k] = pack if v is _ORIG_PACK else pad
    try:
        graph = tracer.trace(model)
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 - fx raises many kinds
        raise ExportError("torch.fx cannot trace %s.forward: %s: %s (seqrt needs a forward() without "
                          "data-dependent control flow)" % (type(model).__name__, type(e).__name__, e))
    finally:
        for g, k, v in swaps:
            g[k] = v
    return graph


# =========================================================================
# Graph -> description
# =========================================================================

class _T:
    """A seqrt value (tensor)."""

    def __init__(self, name, ids=False):
        self.name, self.ids = name, ids


class _Packed:
    def __init__(self, value, lengths):
        self.value, self.lengths = value, lengths


class _LenMask:
    def __init__(self, lengths):
        self.lengths = lengths


class _Causal:
    pass


class _Shape:
    """A size taken from a tensor (x.shape, x.size(0)): only useful as
    pad_packed_sequence's total_length, which seqrt always equals T."""


def _fn_name(target):
    return getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or str(target)


_ACT_FUNCS = {F.relu: "relu", torch.relu: "relu", torch.tanh: "tanh", F.tanh: "tanh",
              torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", F.gelu: "gelu"}
_ACT_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
_ACT_MODULES = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.GELU: "gelu"}
_CAT_FUNCS = tuple(f for f in (torch.cat, getattr(torch, "concat", None)) if f is not None)
_IDENTITY_METHODS = ("float", "long", "int", "contiguous", "detach", "to", "type_as", "clone")


class _Converter:
    def __init__(self, model, graph, batch_first, input_shapes):
        self.model, self.graph = model, graph
        self.modules = dict(model.named_modules())
        self.env = {}
        self.layers, self.weights = [], OrderedDict()
        self.names = set()
        self.calls = {}                     # module name -> times called
        self.placeholders = []              # node names, forward order
        self.uses = OrderedDict()           # input name -> [(kind, info)]
        self.vocab = {}                     # ids input -> smallest vocabulary
        self.user_shapes = input_shapes or {}
        self.batch_first = self._find_batch_first(batch_first)

    # ---- helpers
    def err(self, node, msg):
        where = node.format_node() if hasattr(node, "format_node") else str(node)
        raise ExportError("%s (at %s)" % (msg, where.strip()))

    def _find_batch_first(self, forced):
        seen = {}
        for node in self.graph.nodes:
            if node.op != "call_module":
                continue
            m = self.modules[node.target]
            if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN, nn.MultiheadAttention, Attention,
                              AttentionPool, LastStep, MeanPool)):
                seen.setdefault(bool(m.batch_first), []).append(node.target)
        if len(seen) > 1:
            raise ExportError("seqrt's batch_first is model-wide, but modules disagree: batch_first=True in "
                              "%s, False in %s" % (", ".join(seen[True]), ", ".join(seen[False])))
        if seen:
            bf = next(iter(seen))
            if forced is not None and bool(forced) != bf:
                raise ExportError("batch_first=%s was asked for, but the modules (%s) use %s"
                                  % (forced, ", ".join(next(iter(seen.values()))), bf))
            return bf
        return bool(forced)

    def unique(self, base):
        base = base.replace("-", "_")
        if not base or not (base[0].isalpha() or base[0] == "_"):
            base = "v_" + base
        name, k = base, 2
        while name in self.names:
            name = "%s_%d" % (base, k)
            k += 1
        self.names.add(name)
        return name

    def R(self, a):
        if isinstance(a, torch.fx.Node):
            if a not in self.env:
                self.err(a, "internal: value used before it is defined")
            return self.env[a]
        if isinstance(a, (list, tuple)):
            return type(a)(self.R(x) for x in a)
        if isinstance(a, dict):
            return {k: self.R(v) for k, v in a.items()}
        return a

    def tensor(self, node, ref, what):
        if not isinstance(ref, _T):
            kind = {_Packed: "a PackedSequence (unpack it with pad_packed_sequence first)",
                    _LenMask: "a padding mask", _Causal: "a causal mask", _Shape: "a size",
                    tuple: "a tuple (index it first)", type(None): "None"}.get(type(ref), repr(ref))
            self.err(node, "%s must be a tensor computed from the model's inputs, got %s" % (what, kind))
        return ref

    def use(self, ref, kind, **info):
        if isinstance(ref, _T) and ref.name in self.uses:
            self.uses[ref.name].append((kind, info))

    def layer(self, op, name, inputs, attrs=None, module=None, prefix=None):
        L = OrderedDict([("op", op), ("name", name), ("inputs", inputs)])
        for k, v in (attrs or {}).items():
            L[k] = v
        self.layers.append(L)
        if module is not None:
            for k, v in module.state_dict().items():
                self.weights["%s.%s" % (name, k)] = v.detach().cpu()
        return name

    def module_layer_name(self, target):
        n = self.calls.get(target, 0) + 1
        self.calls[target] = n
        base = target if n == 1 else "%s_call%d" % (target, n)
        if base in self.names:
            return self.unique(base.replace(".", "_"))
        self.names.add(base)
        return base

    # ---- the walk
    def convert(self):
        outputs = None
        for node in self.graph.nodes:
            if node.op == "placeholder":
                name = self.unique(node.target)
                self.placeholders.append((node, name))
                self.uses[name] = []
                self.env[node] = _T(name)
            elif node.op == "get_attr":
                self.err(node, "reads parameter '%s' directly: seqrt maps whole modules, so use it through one "
                         "of the supported modules" % node.target)
            elif node.op == "call_module":
                self.env[node] = self.call_module(node)
            elif node.op == "call_function":
                self.env[node] = self.call_function(node)
            elif node.op == "call_method":
                self.env[node] = self.call_method(node)
            elif node.op == "output":
                outputs = self.flatten_outputs(node, self.R(node.args[0]))
        return outputs

    def flatten_outputs(self, node, ref):
        out = []

        def walk(r):
            if isinstance(r, (tuple, list)):
                for x in r:
                    walk(x)
            elif isinstance(r, _T):
                if r.name in self.uses:
                    self.err(node, "forward() returns its input '%s' unchanged: seqrt outputs must be computed "
                             "values" % r.name)
                out.append(r.name)
            elif isinstance(r, _Packed):
                self.err(node, "forward() returns a PackedSequence: return pad_packed_sequence(...)[0]")
            else:
                self.err(node, "forward() returns %r: seqrt outputs must be tensors" % (r,))
        walk(ref)
        if not out:
            self.err(node, "forward() returns no tensor")
        dup = sorted({v for v in out if out.count(v) > 1})
        if dup:
            self.err(node, "forward() returns %s more than once: seqrt lists each output once" % ", ".join(dup))
        return out

    # ---- modules
    def call_module(self, node):
        m = self.modules[node.target]
        args = self.R(node.args)
        kw = self.R(node.kwargs)
        if isinstance(m, nn.Identity):
            return args[0]
        if isinstance(m, nn.Embedding):
            x = self.tensor(node, args[0], "the embedding's input")
            if m.max_norm is not None:
                self.err(node, "nn.Embedding(max_norm=...) renormalises rows at run time; seqrt cannot")
            name = self.module_layer_name(node.target)
            self.use(x, "ids", vocab=m.num_embeddings)
            return _T(self.layer("embedding", name, {"x": x.name}, OrderedDict(
                [("num_embeddings", m.num_embeddings), ("embedding_dim", m.embedding_dim)]), m))
        if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN)):
            return self.recurrent(node, m, args, kw)
        if isinstance(m, nn.Linear):
            x = self.tensor(node, args[0], "the linear layer's input")
            name = self.module_layer_name(node.target)
            self.use(x, "features", size=m.in_features)
            attrs = OrderedDict([("in_features", m.in_features), ("out_features", m.out_features)])
            if m.bias is None:
                attrs["bias"] = False
            return _T(self.layer("linear", name, {"x": x.name}, attrs, m))
        if type(m) in _ACT_MODULES:
            if isinstance(m, nn.GELU) and getattr(m, "approximate", "none") != "none":
                self.err(node, "nn.GELU(approximate='tanh'): seqrt's gelu is the erf form")
            x = self.tensor(node, args[0], "the activation's input")
            return _T(self.layer("activation", self.module_layer_name(node.target), {"x": x.name},
                                 {"function": _ACT_MODULES[type(m)]}))
        if isinstance(m, (nn.Softmax, nn.LogSoftmax)):
            if m.dim is None:
                self.err(node, "%s(dim=None) has an implicit axis: give dim" % type(m).__name__)
            x = self.tensor(node, args[0], "the softmax's input")
            op = "softmax" if isinstance(m, nn.Softmax) else "log_softmax"
            return _T(self.layer(op, self.module_layer_name(node.target), {"x": x.name}, {"axis": m.dim}))
        if isinstance(m, nn.Dropout):
            x = self.tensor(node, args[0], "the dropout's input")
            return _T(self.layer("dropout", self.module_layer_name(node.target), {"x": x.name}, {"p": m.p}))
        if isinstance(m, nn.MultiheadAttention):
            return self.mha(node, m, args, kw)
        if isinstance(m, AttentionPool):
            x = self.arg(node, args, kw, 0, "x")
            lengths = self.arg(node, args, kw, 1, "lengths")
            name = self.module_layer_name(node.target)
            ins = OrderedDict([("x", self.tensor(node, x, "the pool's input").name)])
            self.add_lengths(node, ins, lengths)
            self.use(x, "sequence", size=m.features)
            self.layer("attention_pool", name, ins, OrderedDict([("hidden", m.hidden),
                                                                 ("activation", m.activation)]), m)
            return (_T(name), _T(name + ":weights"))
        if isinstance(m, Attention):
            return self.attention(node, m, args, kw)
        if isinstance(m, (LastStep, MeanPool)):
            x = self.arg(node, args, kw, 0, "x")
            lengths = self.arg(node, args, kw, 1, "lengths")
            ins = OrderedDict([("x", self.tensor(node, x, "the pool's input").name)])
            self.add_lengths(node, ins, lengths)
            self.use(x, "sequence")
            op = "last_step" if isinstance(m, LastStep) else "mean_pool"
            return _T(self.layer(op, self.module_layer_name(node.target), ins))
        self.err(node, "module %s (%s) has no seqrt op: supported are nn.Embedding, nn.LSTM, nn.GRU, nn.RNN, "
                 "nn.Linear, nn.MultiheadAttention, activations, softmax, dropout and this file's "
                 "Attention, AttentionPool, LastStep, MeanPool" % (node.target, type(m).__name__))

    def arg(self, node, args, kw, i, name, default=None):
        if len(args) > i:
            return args[i]
        return kw.get(name, default)

    def add_lengths(self, node, ins, lengths):
        if lengths is None:
            return
        t = self.tensor(node, lengths, "lengths")
        self.use(t, "lengths")
        ins["lengths"] = t.name

    def recurrent(self, node, m, args, kw):
        kind = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn"}[type(m)]
        x = self.arg(node, args, kw, 0, "input")
        hx = self.arg(node, args, kw, 1, "hx")
        lengths = None
        if isinstance(x, _Packed):
            lengths, x = x.lengths, x.value
        x = self.tensor(node, x, "the %s's input" % kind.upper())
        name = self.module_layer_name(node.target)
        ins = OrderedDict([("x", x.name)])
        D = 2 if m.bidirectional else 1
        H = m.hidden_size
        P = getattr(m, "proj_size", 0) or 0
        Hout = P if P > 0 else H
        if hx is not None:
            if kind == "lstm":
                if not isinstance(hx, tuple) or len(hx) != 2:
                    self.err(node, "an LSTM's initial state must be a tuple (h0, c0)")
                h0, c0 = hx
                ins["h0"] = self.tensor(node, h0, "h0").name
                ins["c0"] = self.tensor(node, c0, "c0").name
                self.use(h0, "state", shape=[m.num_layers * D, "B", Hout])
                self.use(c0, "state", shape=[m.num_layers * D, "B", H])
            else:
                ins["h0"] = self.tensor(node, hx, "h0").name
                self.use(hx, "state", shape=[m.num_layers * D, "B", H])
        if lengths is not None:
            self.add_lengths(node, ins, lengths)
        self.use(x, "sequence", size=m.input_size)
        attrs = OrderedDict([("input_size", m.input_size), ("hidden_size", H)])
        if m.num_layers != 1:
            attrs["num_layers"] = m.num_layers
        if m.bidirectional:
            attrs["bidirectional"] = True
        if P > 0:
            attrs["proj_size"] = P
        if not m.bias:
            attrs["bias"] = False
        if m.dropout:
            attrs["dropout"] = m.dropout
        if kind == "rnn" and m.nonlinearity != "tanh":
            attrs["nonlinearity"] = m.nonlinearity
        self.layer(kind, name, ins, attrs, m)
        y = _Packed(_T(name), lengths) if lengths is not None else _T(name)
        if kind == "lstm":
            return (y, (_T(name + ":h_n"), _T(name + ":c_n")))
        return (y, _T(name + ":h_n"))

    def mha(self, node, m, args, kw):
        if not m._qkv_same_embed_dim:
            self.err(node, "nn.MultiheadAttention with kdim/vdim != embed_dim has separate projections; "
                     "seqrt's multihead_attention packs them as in_proj_weight [3E, E]")
        if m.bias_k is not None or m.add_zero_attn:
            self.err(node, "nn.MultiheadAttention(add_bias_kv=True or add_zero_attn=True) has no seqrt form")
        q = self.arg(node, args, kw, 0, "query")
        k = self.arg(node, args, kw, 1, "key")
        v = self.arg(node, args, kw, 2, "value")
        kpm = self.arg(node, args, kw, 3, "key_padding_mask")
        need = self.arg(node, args, kw, 4, "need_weights", True)
        am = self.arg(node, args, kw, 5, "attn_mask")
        avg = self.arg(node, args, kw, 6, "average_attn_weights", True)
        q = self.tensor(node, q, "the query")
        k = self.tensor(node, k, "the key")
        v = self.tensor(node, v, "the value")
        name = self.module_layer_name(node.target)
        ins = OrderedDict([("query", q.name)])
        if k.name != q.name or v.name != q.name:
            ins["key"] = k.name
            ins["value"] = v.name
        for t in (q, k, v):
            self.use(t, "sequence", size=m.embed_dim)
        if kpm is not None:
            if not isinstance(kpm, _LenMask):
                self.err(node, "key_padding_mask must come from seqrt_export.lengths_mask(lengths, key)")
            self.add_lengths(node, ins, kpm.lengths)
        attrs = OrderedDict([("embed_dim", m.embed_dim), ("num_heads", m.num_heads)])
        if m.in_proj_bias is None:
            attrs["bias"] = False
        if am is not None:
            if not isinstance(am, _Causal):
                self.err(node, "attn_mask must come from seqrt_export.causal_mask(query)")
            attrs["causal"] = True
        self.layer("multihead_attention", name, ins, attrs, m)
        weights = _T(name + ":weights") if need and avg else None
        if need and not avg:
            weights = _Unsupported("per-head attention weights (average_attn_weights=False)")
        return (_T(name), weights)

    def attention(self, node, m, args, kw):
        q = self.tensor(node, self.arg(node, args, kw, 0, "query"), "the query")
        k = self.tensor(node, self.arg(node, args, kw, 1, "keys"), "the keys")
        v = self.arg(node, args, kw, 2, "values")
        lengths = self.arg(node, args, kw, 3, "lengths")
        name = self.module_layer_name(node.target)
        ins = OrderedDict([("query", q.name), ("keys", k.name)])
        if v is not None:
            ins["values"] = self.tensor(node, v, "the values").name
        self.add_lengths(node, ins, lengths)
        self.use(k, "sequence")
        attrs = OrderedDict([("score", m.score)])
        if m.score == "additive":
            attrs["attention_size"] = m.v.in_features
        self.layer("attention", name, ins, attrs, m)
        return (_T(name), _T(name + ":weights"))

    # ---- functions
    def call_function(self, node):
        f = node.target
        args = self.R(node.args)
        kw = self.R(node.kwargs)
        if f is _ORIG_PACK:
            x = self.tensor(node, self.arg(node, args, kw, 0, "input"), "pack_padded_sequence's input")
            lengths = self.tensor(node, self.arg(node, args, kw, 1, "lengths"), "lengths")
            bf = self.arg(node, args, kw, 2, "batch_first", False)
            if bool(bf) != self.batch_first:
                self.err(node, "pack_padded_sequence(batch_first=%s) in a model whose layout is batch_first=%s"
                         % (bf, self.batch_first))
            return _Packed(x, lengths)
        if f is _ORIG_PAD:
            p = self.arg(node, args, kw, 0, "sequence")
            if not isinstance(p, _Packed):
                self.err(node, "pad_packed_sequence of something that is not a recurrent layer's packed output")
            bf = self.arg(node, args, kw, 1, "batch_first", False)
            if bool(bf) != self.batch_first:
                self.err(node, "pad_packed_sequence(batch_first=%s) in a model whose layout is batch_first=%s"
                         % (bf, self.batch_first))
            pv = self.arg(node, args, kw, 2, "padding_value", 0.0)
            if pv != 0.0:
                self.err(node, "pad_packed_sequence(padding_value=%r): seqrt pads with 0" % (pv,))
            return (p.value, p.lengths)
        if f is lengths_mask:
            lengths = self.tensor(node, args[0], "lengths")
            bf = args[2] if len(args) > 2 else kw.get("batch_first", False)
            if bool(bf) != self.batch_first:
                self.err(node, "lengths_mask(batch_first=%s) in a model whose layout is batch_first=%s"
                         % (bf, self.batch_first))
            return _LenMask(lengths)
        if f is causal_mask:
            return _Causal()
        if f is operator.getitem:
            return self.getitem(node, args[0], args[1])
        if f is getattr:
            if args[1] == "shape":
                return _Shape()
            self.err(node, "attribute '%s' of a value is not supported" % args[1])
        if f in (operator.add, torch.add, operator.mul, torch.mul):
            op = "add" if f in (operator.add, torch.add) else "mul"
            if len(args) != 2 or kw.get("alpha", 1) != 1:
                self.err(node, "%s takes exactly two tensors" % op)
            a = self.tensor(node, args[0], "%s's first operand (a number is not supported)" % op)
            b = self.tensor(node, args[1], "%s's second operand (a number is not supported)" % op)
            return _T(self.layer(op, self.unique(node.name), OrderedDict([("a", a.name), ("b", b.name)])))
        if f in _ACT_FUNCS:
            if f is F.gelu and kw.get("approximate", "none") != "none":
                self.err(node, "F.gelu(approximate='tanh'): seqrt's gelu is the erf form")
            x = self.tensor(node, args[0], "the activation's input")
            return _T(self.layer("activation", self.unique(node.name), {"x": x.name},
                                 {"function": _ACT_FUNCS[f]}))
        if f in (F.softmax, torch.softmax, F.log_softmax, torch.log_softmax):
            op = "softmax" if f in (F.softmax, torch.softmax) else "log_softmax"
            x = self.tensor(node, args[0], "the softmax's input")
            dim = self.arg(node, args, kw, 1, "dim")
            if dim is None:
                self.err(node, "%s without dim has an implicit axis: give dim" % op)
            return _T(self.layer(op, self.unique(node.name), {"x": x.name}, {"axis": dim}))
        if f in (F.dropout,):
            x = self.tensor(node, args[0], "the dropout's input")
            p = self.arg(node, args, kw, 1, "p", 0.5)
            return _T(self.layer("dropout", self.unique(node.name), {"x": x.name}, {"p": p}))
        if f is F.one_hot:
            x = self.tensor(node, args[0], "one_hot's input")
            depth = self.arg(node, args, kw, 1, "num_classes", -1)
            if not isinstance(depth, int) or depth < 1:
                self.err(node, "F.one_hot needs num_classes (the depth is fixed in seqrt)")
            self.use(x, "ids", vocab=depth)
            return _T(self.layer("one_hot", self.unique(node.name), {"x": x.name}, {"depth": depth}))
        if f in _CAT_FUNCS:
            xs = self.arg(node, args, kw, 0, "tensors")
            dim = self.arg(node, args, kw, 1, "dim", 0)
            names = [self.tensor(node, t, "torch.cat's input").name for t in xs]
            return _T(self.layer("concat", self.unique(node.name), {"x": names}, {"axis": dim}))
        self.err(node, "function %s has no seqrt op" % _fn_name(f))

    def getitem(self, node, base, idx):
        if isinstance(base, (tuple, list)):
            r = base[idx]
            if isinstance(r, _Unsupported):
                self.err(node, "%s cannot be exported" % r.what)
            return r
        if isinstance(base, _Shape):
            return _Shape()
        t = self.tensor(node, base, "the indexed value")
        idx = idx if isinstance(idx, tuple) else (idx,)
        axis, index = None, None
        for i, e in enumerate(idx):
            if isinstance(e, slice) and e == slice(None):
                continue
            if isinstance(e, int) and not isinstance(e, bool) and axis is None:
                axis, index = i, e
                continue
            axis = "bad"
            break
        if axis is None or axis == "bad":
            self.err(node, "indexing with %r: seqrt's select takes one integer index on one axis "
                     "(e.g. h_n[-1], y[:, -1])" % (idx,))
        return _T(self.layer("select", self.unique(node.name), {"x": t.name},
                             OrderedDict([("axis", axis), ("index", index)])))

    def call_method(self, node):
        args = self.R(node.args)
        kw = self.R(node.kwargs)
        meth = node.target
        if meth == "size":
            return _Shape()
        if meth in _IDENTITY_METHODS:
            t = self.tensor(node, args[0], "the value")
            if meth == "to" and any(isinstance(a, torch.dtype) and a not in (torch.float32, torch.float64)
                                    for a in list(args[1:]) + list(kw.values())) and not t.ids:
                self.err(node, "a conversion to another type (%s) has no seqrt op" % (args[1:],))
            return t
        if meth in _ACT_METHODS:
            x = self.tensor(node, args[0], "the activation's input")
            return _T(self.layer("activation", self.unique(node.name), {"x": x.name},
                                 {"function": _ACT_METHODS[meth]}))
        if meth in ("softmax", "log_softmax"):
            x = self.tensor(node, args[0], "the softmax's input")
            dim = args[1] if len(args) > 1 else kw.get("dim")
            if dim is None:
                self.err(node, "%s without dim has an implicit axis: give dim" % meth)
            return _T(self.layer(meth, self.unique(node.name), {"x": x.name}, {"axis": dim}))
        self.err(node, "tensor method .%s() has no seqrt op" % meth)

    # ---- inputs
    def input_decls(self):
        """name -> (dtype, shape) for every placeholder a layer uses."""
        bf = self.batch_first
        seq2 = ["B", "T"] if bf else ["T", "B"]
        decls = OrderedDict()
        for node, name in self.placeholders:
            uses = self.uses[name]
            if name in self.user_shapes or node.target in self.user_shapes:
                spec = self.user_shapes.get(name, self.user_shapes.get(node.target))
                if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
                    dtype, shape = spec
                else:
                    dtype = "int32" if any(k in ("ids", "lengths") for k, _ in uses) else "float32"
                    shape = spec
                decls[name] = (dtype, list(shape))
                continue
            if not uses:
                continue
            kinds = {k for k, _ in uses}
            if kinds <= {"ids"}:
                decls[name] = ("int32", list(seq2))
            elif kinds <= {"lengths"}:
                decls[name] = ("int32", ["B"])
            elif kinds <= {"state"}:
                decls[name] = ("float32", uses[0][1]["shape"])
            elif kinds <= {"sequence", "features"} and "sequence" in kinds:
                sizes = {i.get("size") for k, i in uses if i.get("size")}
                if len(sizes) != 1:
                    raise ExportError("input '%s': cannot tell its feature size; pass inputs={'%s': "
                                      "[...shape...]}" % (name, name))
                size = sizes.pop()
                decls[name] = ("float32", (["B", "T", size] if bf else ["T", "B", size]))
            else:
                raise ExportError("input '%s' is used as %s: cannot tell its shape; pass inputs={'%s': "
                                  "('float32', ['B', 16])} (dtype and shape, symbols for free sizes)"
                                  % (name, " and ".join(sorted(kinds)), name))
            for k, i in uses:
                if k == "ids":
                    self.vocab[name] = min(self.vocab.get(name, i["vocab"]), i["vocab"])
        return decls


class _Unsupported:
    def __init__(self, what):
        self.what = what


# =========================================================================
# export()
# =========================================================================

class ExportReport:
    """What export() wrote and how closely seqrt reproduced PyTorch."""

    def __init__(self, json_path, weights_path, params, checks, weights_dtype, rounding):
        self.json_path, self.weights_path = json_path, weights_path
        self.params, self.checks = params, checks
        self.weights_dtype, self.rounding = weights_dtype, rounding
        self.inputs = OrderedDict()     # the check's inputs (seqrt input name -> array)
        self.expected = OrderedDict()   # PyTorch's outputs for them (seqrt value -> array)

    @property
    def worst_ratio(self):
        return max((c[2] for c in self.checks.values()), default=0.0)

    def __str__(self):
        lines = ["wrote %s and %s (%d parameters, %s, %d bytes)"
                 % (self.json_path, self.weights_path, self.params, self.weights_dtype,
                    os.path.getsize(self.weights_path))]
        for v, (ok, err, ratio) in self.checks.items():
            lines.append("  %-28s max |seqrt - pytorch| = %.3g  (%.3f of the tolerance)" % (v, err, ratio))
        if self.rounding is not None:
            lines.append("  storing %s changes the outputs by at most %.3g" % (self.weights_dtype, self.rounding))
        return "\n".join(lines)


def _flatten_torch(out):
    res = []

    def walk(o):
        if isinstance(o, (tuple, list)):
            for x in o:
                walk(x)
        elif torch.is_tensor(o):
            res.append(o)
    walk(out)
    return res


def _concrete(shape, sizes):
    return [d if isinstance(d, int) else sizes.setdefault(d, 5) for d in shape]


def _random_inputs(decls, vocab, seed, T, B):
    rng = np.random.RandomState(seed)
    sizes = {"T": T, "B": B}
    out = OrderedDict()
    for name, (dtype, shape) in decls.items():
        dims = _concrete(shape, sizes)
        if dtype.startswith("int") and name in vocab:
            out[name] = rng.randint(0, vocab[name], size=dims).astype(np.int64)
        elif dtype.startswith("int"):
            # lengths: sorted decreasing (pack_padded_sequence's default), the
            # first one full so that padded outputs keep T steps
            Tmax = sizes.get("T", T)
            lens = np.sort(rng.randint(1, Tmax + 1, size=dims))[::-1].copy()
            if lens.size:
                lens[0] = Tmax
            out[name] = lens.astype(np.int64)
        else:
            out[name] = (rng.randn(*dims) * 0.8).astype(np.float32)
    return out


def _torch_run(model, placeholders, decls, data, dtype):
    args = []
    for node, name in placeholders:
        if name not in data:
            args.append(None)
            continue
        a = data[name]
        if decls[name][0].startswith("int"):
            args.append(torch.from_numpy(a.astype(np.int64)))
        else:
            args.append(torch.from_numpy(a).to(dtype))
    with torch.no_grad():
        return [t.detach().to(torch.float64).numpy() for t in _flatten_torch(model(*args))]


def export(model, path, inputs=None, name=None, metadata=None, batch_first=None, weights_dtype="F32",
           check=True, seqrt=None, backend="reference", example_inputs=None, seed=0, T=7, B=3,
           atol=ATOL, rtol=RTOL, verbose=False):
    """Writes `path` (the description, .json) and its weights (.safetensors
    beside it) for `model`, then checks the round trip.

    inputs:         {input name: shape or (dtype, shape)}, only where export()
                    cannot tell an input's shape (shapes use symbols like "T",
                    "B" for free sizes); forward()'s argument names name the
                    inputs.
    name:           the model's name (default: the file name).
    metadata:       the description's metadata object (vocab, labels, ...).
    batch_first:    only for a model with no module that says it.
    weights_dtype:  "F32", "F16" (half the size) or "BF16".
    check:          run seqrt (the program at `seqrt`, default build/bin/seqrt
                    or $SEQRT_CLI) on `backend` and compare with PyTorch.
    example_inputs: {input name: array} to check with instead of random data
                    (T and B set the random sizes).
    Returns an ExportReport; raises ExportError (and leaves no file) when the
    model has a part seqrt cannot run or the outputs disagree. The model is
    traced and checked in eval mode, then put back in the mode it was in.
    """
    if not path.endswith(".json"):
        raise ExportError("the description's path must end in .json: %s" % path)
    was_training = model.training
    model.eval()
    try:
        return _export(model, path, inputs, name, metadata, batch_first, weights_dtype, check, seqrt, backend,
                       example_inputs, seed, T, B, atol, rtol, verbose)
    finally:
        model.train(was_training)


def _export(model, path, inputs, name, metadata, batch_first, weights_dtype, check, seqrt, backend,
            example_inputs, seed, T, B, atol, rtol, verbose):
    graph = _trace(model)
    conv = _Converter(model, graph, batch_first, inputs)
    outputs = conv.convert()
    decls = conv.input_decls()
    if not decls:
        raise ExportError("the model has no input that a layer uses")
    weights_path = path[:-5] + ".safetensors"
    base = os.path.basename(path)[:-5]
    desc = OrderedDict([("format", "seqrt"), ("version", 1), ("name", name or base),
                        ("batch_first", conv.batch_first), ("weights", os.path.basename(weights_path)),
                        ("inputs", [OrderedDict([("name", n), ("dtype", d), ("shape", s)])
                                    for n, (d, s) in decls.items()]),
                        ("layers", conv.layers), ("outputs", outputs)])
    if metadata:
        desc["metadata"] = metadata
    weights = OrderedDict((k, v.to(torch.float32).numpy()) for k, v in conv.weights.items())
    params = int(sum(v.size for v in weights.values()))

    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    sf.write_safetensors(weights_path, weights, dtype=weights_dtype)
    sf.write_description(path, desc)
    checks, rounding = OrderedDict(), None
    if not check:
        return ExportReport(path, weights_path, params, checks, weights_dtype, rounding)
    try:
        exe = sf.find_seqrt(seqrt)
        if not exe:
            raise ExportError("cannot check the export: no seqrt program (build it with tools/build.sh, pass "
                              "seqrt=PATH or set SEQRT_CLI), or pass check=False")
        data = (OrderedDict((n, np.asarray(example_inputs[n])) for n in decls) if example_inputs
                else _random_inputs(decls, conv.vocab, seed, T, B))
        # PyTorch in float64 on the weights as stored (rounded when F16/BF16)
        ref_model = copy.deepcopy(model).to(torch.float64)
        with torch.no_grad():
            for t in list(ref_model.parameters()):
                t.copy_(torch.from_numpy(sf.round_to_dtype(t.detach().cpu().numpy(), weights_dtype)
                                         .astype(np.float64)))
        try:
            want = _torch_run(ref_model, conv.placeholders, decls, data, torch.float64)
            ref_dtype = torch.float64
        except RuntimeError:
            # forward() forces float32 somewhere (x.float()): compare in float32
            ref_model = ref_model.to(torch.float32)
            want = _torch_run(ref_model, conv.placeholders, decls, data, torch.float32)
            ref_dtype = torch.float32
        if weights_dtype != "F32":
            exact = _torch_run(copy.deepcopy(model).to(ref_dtype), conv.placeholders, decls, data, ref_dtype)
            rounding = max((float(np.abs(a - b).max()) if a.size else 0.0) for a, b in zip(want, exact))
        if len(want) != len(outputs):
            raise ExportError("internal: PyTorch returned %d tensors for %d outputs" % (len(want), len(outputs)))
        try:
            got = sf.run_seqrt(exe, path, OrderedDict((n, data[n]) for n in decls), outputs, backend=backend)
        except RuntimeError as e:
            raise ExportError("seqrt cannot run the exported model: %s" % e)
        bad = []
        for v, w in zip(outputs, want):
            g = got[v]
            if g.shape != w.shape:
                bad.append("%s: seqrt shape %s, PyTorch %s" % (v, list(g.shape), list(w.shape)))
                checks[v] = (False, float("inf"), float("inf"))
                continue
            checks[v] = sf.close_enough(g, w, atol, rtol)
            if not checks[v][0]:
                bad.append("%s: max |seqrt - pytorch| = %.3g (%.2f times the tolerance)"
                           % (v, checks[v][1], checks[v][2]))
        if bad:
            raise ExportError("seqrt's outputs disagree with PyTorch's: " + "; ".join(bad))
    except BaseException:
        for p in (path, weights_path):
            if os.path.exists(p):
                os.unlink(p)
        raise
    rep = ExportReport(path, weights_path, params, checks, weights_dtype, rounding)
    rep.inputs = OrderedDict((n, data[n].astype(np.int32) if decls[n][0].startswith("int") else
                              data[n].astype(np.float32)) for n in decls)
    rep.expected = OrderedDict(zip(outputs, want))
    if verbose:
        print(rep)
    return rep


# =========================================================================
# Self-test: round trips of models built from every supported module
# =========================================================================

class _CharLM(nn.Module):
    """embedding -> 2-layer LSTM -> linear -> softmax (examples/charlm)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.rnn = nn.LSTM(8, 16, num_layers=2)
        self.fc = nn.Linear(16, 20)
        self.probs = nn.Softmax(dim=-1)

    def forward(self, tokens):
        y, (h, c) = self.rnn(self.embed(tokens))
        return self.probs(self.fc(y)), h, c


class _PackedGRU(nn.Module):
    """bidirectional GRU over packed sequences, mean pooled, log_softmax."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 6)
        self.gru = nn.GRU(6, 10, num_layers=2, bidirectional=True)
        self.pool = MeanPool()
        self.head = nn.Sequential(nn.Linear(20, 12), nn.Tanh(), nn.Dropout(0.3), nn.Linear(12, 4))

    def forward(self, tokens, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(tokens), lengths, enforce_sorted=False)
        y, h = self.gru(packed)
        y, _ = nn.utils.rnn.pad_packed_sequence(y, total_length=tokens.shape[0])
        return F.log_softmax(self.head(self.pool(y, lengths)), dim=-1), h


class _ReluRNN(nn.Module):
    """batch_first float input, nn.RNN(relu) with h0, last step, select."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(5, 9, num_layers=2, nonlinearity="relu", batch_first=True)
        self.last = LastStep(batch_first=True)
        self.out = nn.Linear(9, 3, bias=False)

    def forward(self, x, h0):
        y, h = self.rnn(x, h0)
        return self.out(y[:, -1]), self.last(y), torch.sigmoid(h[-1])


class _ProjLSTM(nn.Module):
    """LSTM with projections, batch_first, (h0, c0) inputs, lengths."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 12, proj_size=5, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(10, 2)

    def forward(self, x, h0, c0, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
        y, (h, c) = self.lstm(packed, (h0, c0))
        y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True)
        return self.fc(y), h, c


class _SelfAttn(nn.Module):
    """embedding -> LSTM -> causal, key-padded self-attention with a residual
    and GELU -> attention pooling (tanh) -> softmax."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(40, 16)
        self.rnn = nn.LSTM(16, 16)
        self.mha = nn.MultiheadAttention(16, num_heads=4)
        self.act = nn.GELU()
        self.pool = AttentionPool(16, hidden=8, activation="tanh")
        self.cls = nn.Linear(16, 5)

    def forward(self, tokens, lengths):
        y, _ = self.rnn(self.embed(tokens))
        a, w = self.mha(y, y, y, key_padding_mask=lengths_mask(lengths, y), attn_mask=causal_mask(y))
        z = self.act(a + y)
        pooled, pw = self.pool(z, lengths)
        return torch.softmax(self.cls(pooled), dim=-1), w, pw


class _CrossAttn(nn.Module):
    """batch_first encoder/decoder: cross multi-head attention (no bias),
    concat and mul."""

    def __init__(self):
        super().__init__()
        self.enc = nn.GRU(6, 8, batch_first=True)
        self.dec = nn.GRU(6, 8, batch_first=True)
        self.mha = nn.MultiheadAttention(8, 2, bias=False, batch_first=True)
        self.gate = nn.Linear(16, 16)

    def forward(self, src, tgt):
        k, _ = self.enc(src)
        q, _ = self.dec(tgt)
        a, _ = self.mha(q, k, k, need_weights=False)
        both = torch.cat([q, a], dim=-1)
        return both * torch.sigmoid(self.gate(both))


class _Attentions(nn.Module):
    """The spec's attention op with every score, [B, H] and sequence queries."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(25, 6)
        self.rnn = nn.LSTM(6, 8)
        self.dot = Attention("dot")
        self.sdot = Attention("scaled_dot")
        self.general = Attention("general", query_size=8, key_size=8)
        self.additive = Attention("additive", query_size=8, key_size=8, attention_size=6)
        self.values = nn.Linear(8, 3)

    def forward(self, tokens, lengths):
        y, (h, c) = self.rnn(self.embed(tokens))
        q = h[-1]
        c1, w1 = self.dot(q, y, lengths=lengths)
        c2, w2 = self.sdot(q, y, self.values(y), lengths)
        c3, w3 = self.general(y, y, lengths=lengths)
        c4, w4 = self.additive(q, y, None, lengths)
        return c1, w1, c2, w2, c3, w3, c4, w4


class _OneHot(nn.Module):
    """one-hot input, two layers of the same Linear, F16 weights."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(7, 7)
        self.fc = nn.Linear(7, 7)

    def forward(self, ids):
        x = F.one_hot(ids, 7).float()
        y, _ = self.rnn(x)
        return F.relu(self.fc(self.fc(y)))


def selftest_models():
    """(name, model, export keyword arguments) of the self-test's models."""
    torch.manual_seed(0)
    cases = [("charlm", _CharLM(), {}), ("packed_gru", _PackedGRU(), {}), ("relu_rnn", _ReluRNN(), {}),
             ("proj_lstm", _ProjLSTM(), {}), ("self_attention", _SelfAttn(), {}),
             ("cross_attention", _CrossAttn(), {}), ("attention_scores", _Attentions(), {}),
             ("one_hot_f16", _OneHot(), {"weights_dtype": "F16"})]
    for _, m, _ in cases:
        for p in m.parameters():   # larger weights than PyTorch's init: a harder check
            with torch.no_grad():
                p.mul_(2.0)
    return cases


def _selftest(seqrt=None, keep=None):
    import tempfile
    cases = selftest_models()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="seqrt-export-") as tmp:
        out = keep or tmp
        for name, m, kw in cases:
            try:
                rep = export(m, os.path.join(out, name + ".json"), seqrt=seqrt, **kw)
                print("ok   %-18s %s" % (name, str(rep).replace("\n", "\n" + " " * 24)))
            except ExportError as e:
                failed += 1
                print("FAIL %-18s %s" % (name, e))
    print("%d of %d round trips within the spec's tolerance" % (len(cases) - failed, len(cases)))
    return 1 if failed else 0


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--selftest", action="store_true", help="export and check the test models")
    ap.add_argument("--seqrt", help="the seqrt program (default: build/bin/seqrt, $SEQRT_CLI)")
    ap.add_argument("--keep", help="write the test models to this directory")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.selftest:
        return _selftest(args.seqrt, args.keep)
    ap.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
