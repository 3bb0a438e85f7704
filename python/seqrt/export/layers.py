"""The converter's handling of module calls: nn.Embedding, nn.LSTM/GRU/RNN,
nn.Linear, activations, softmax, dropout, nn.MultiheadAttention and the
spec's Attention, AttentionPool, LastStep, MeanPool."""

from collections import OrderedDict

import torch.nn as nn

from .modules import Attention, AttentionPool, LastStep, MeanPool
from . import quantized as qz
from ..torch.lstm import LSTM as SqLSTM
from .values import _ACT_MODULES, _T, _Causal, _LenMask, _Packed, _Unsupported


class _ModuleOps:
    """Mixin of _Converter: call_module and the layers it writes."""

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
        if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN, SqLSTM)) or (qz.QUANT_MODULES and isinstance(m, (qz.QUANT_LSTM,
                                                                                                 qz.QUANT_GRU))):
            return self.recurrent(node, m, args, kw)
        if isinstance(m, nn.Linear) or (qz.QUANT_MODULES and isinstance(m, qz.QUANT_LINEAR)):
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
                 "nn.Linear, nn.MultiheadAttention, activations, softmax, dropout and seqrt.export's "
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
        kinds = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn", SqLSTM: "lstm"}
        if qz.QUANT_MODULES:
            kinds.update({qz.QUANT_LSTM: "lstm", qz.QUANT_GRU: "gru"})
        kind = kinds[type(m)]
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
        for k in ("coupled", "peephole"):           # seqrt.torch.LSTM
            if getattr(m, k, False):
                attrs[k] = True
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
                self.err(node, "key_padding_mask must come from seqrt.export.lengths_mask(lengths, key)")
            self.add_lengths(node, ins, kpm.lengths)
        attrs = OrderedDict([("embed_dim", m.embed_dim), ("num_heads", m.num_heads)])
        if m.in_proj_bias is None:
            attrs["bias"] = False
        if am is not None:
            if not isinstance(am, _Causal):
                self.err(node, "attn_mask must come from seqrt.export.causal_mask(query)")
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
