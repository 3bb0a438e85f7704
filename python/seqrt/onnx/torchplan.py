"""The setup half of the graph interpreter (torchgraph.GraphModule): which
ONNX nodes read as PyTorch modules or fused forms, decided once from the
graph. A Gemm on weights (transB, nn.Linear's own form) is an nn.Linear
sharing them, and a MatMul of a sequence by a weight (torch.onnx's
nn.Linear on a 3-D input, its weight transposed) an nn.Linear of its own
with the bias of the Add after it: one module per weight pair, so every
step of an unrolled loop calls the same one. Split into pieces of 1, each
squeezed, is x.unbind (`for x in inputs`); Unsqueeze(d) of each input of
a Concat(d) is torch.stack; float zeros made from shapes that arithmetic
reads are torch.zeros made where the graph makes them; LSTM / GRU / RNN
nodes PyTorch's modules express become nn.LSTM / nn.GRU / nn.RNN (gate
rows reordered by seqrt.gates.onnx_recurrent_weights); a Gather of a
weight table is an nn.Embedding sharing it."""

import re

import numpy as np
import torch
import torch.nn as nn

from ..gates import onnx_recurrent_weights
from .rnn_attrs import OP_FNS
from .torchops import _constant

RNN = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}
_ARITH = {"MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Concat"}
_SAME_ZEROS = {"Cast", "Identity", "Expand", "Reshape", "Unsqueeze", "Squeeze"}


def ident(name, taken, fallback="v"):
    """A Python identifier for an ONNX name, not in `taken` (which it joins)."""
    s = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", name or "")).strip("_") or fallback
    if not (s[0].isalpha() or s[0] == "_"):
        s = fallback + "_" + s
    base, k = s, 1
    while s in taken:
        k += 1
        s = "%s_%d" % (base, k)
    taken.add(s)
    return s


def node_label(node):
    return "%s node '%s'" % (node.op_type, node.name or node.output[0])


def _attrs(node):
    from onnx import helper
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else (
            [s.decode() if isinstance(s, bytes) else s for s in v] if isinstance(v, list) else v)
    return out


class _Plan:
    """Mixin of GraphModule: plan() and the modules it makes."""

    def plan(self, g, taken):
        """Which nodes read as modules or fused forms: a Gemm on weights is
        an nn.Linear sharing them; a MatMul of a 3-D tensor by a weight
        (torch.onnx's nn.Linear on a sequence: the weight transposed) an
        nn.Linear of its own, with the bias of the Add that follows it; a
        Split into pieces of 1 that are each squeezed is x.unbind (Python's
        `for x in inputs`)."""
        users = {}
        for n in self.nodes:
            for i in n.input:
                users.setdefault(i, []).append(n)
        for o in g.output:
            users.setdefault(o.name, []).append(None)
        self.linears, self.fused, self.unbind, self.passed = {}, {}, set(), set()
        # float zeros that arithmetic reads (initial states): torch.zeros made where the graph makes
        # them (constants: at the start of forward), not at their first use inside a loop
        self.premade = [k for k, v in self.consts.items() if v.dtype.kind == "f" and v.ndim and not np.any(v)
                        and any(u is not None and u.op_type in _ARITH for u in users.get(k, []))]
        zeros = set()      # float zeros computed from shapes (torch.zeros(x.size(0), H)), and their casts
        for n, a in zip(self.nodes, self.attrs):
            if (n.op_type == "ConstantOfShape" and ("value" not in a or (a["value"].data_type in (1, 11) and
                                                                         not np.any(_constant(a)))) or
                    n.op_type in _SAME_ZEROS and n.input and n.input[0] in zeros):
                zeros.add(n.output[0])
        self.premade_at = {k for k in zeros if any(u is not None and u.op_type in _ARITH for u in users.get(k, []))}
        self.stacks = {}
        made = {n.output[0]: (n, a) for n, a in zip(self.nodes, self.attrs) if n.output}
        for n, a in zip(self.nodes, self.attrs):
            # torch.stack(xs, dim): torch.onnx's Unsqueeze(dim) of each, then Concat(dim)
            if n.op_type == "Concat" and len(n.input) > 1 and all(
                    i in made and made[i][0].op_type == "Unsqueeze" and len(users.get(i, [])) == 1 and
                    self.unsqueezes(*made[i]) == [int(a["axis"])] for i in n.input):
                self.stacks[n.output[0]] = int(a["axis"])
                self.passed.update(n.input)
        for n, a in zip(self.nodes, self.attrs):
            self.current = n
            W = self.params.get(n.input[1]) if len(n.input) > 1 else None
            if n.op_type == "Gemm" and W is not None and W.dim() == 2 and not a.get("transA", 0) and \
                    a.get("transB", 0) and float(a.get("alpha", 1.0)) == 1.0 and float(a.get("beta", 1.0)) == 1.0:
                b = self.params.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
                if b is None and len(n.input) > 2 and n.input[2]:
                    continue
                self.linears[n.output[0]] = self.make_linear(n, (n.input[1], n.input[2] if b is not None else ""),
                                                         W, b, taken, share=True)
            elif n.op_type == "MatMul" and W is not None and W.dim() == 2:
                u = users.get(n.output[0], [])
                b = None
                if len(u) == 1 and u[0] is not None and u[0].op_type == "Add":
                    other = [i for i in u[0].input if i != n.output[0]]
                    b = self.params.get(other[0]) if len(other) == 1 else None
                    if b is not None and b.dim() == 1:
                        self.fused[u[0].output[0]] = n.output[0]
                    else:
                        b = None
                key = ("T:" + n.input[1], [i for i in u[0].input if i != n.output[0]][0] if b is not None else "")
                self.linears[n.output[0]] = self.make_linear(n, key, W.t(), b, taken, share=False)
            elif n.op_type == "Split" and len(n.output) > 1:
                axis = int(a.get("axis", 0))
                if all(len(users.get(o, [])) == 1 and users[o][0] is not None and
                       users[o][0].op_type == "Squeeze" and self.squeezes(users[o][0], axis) for o in n.output):
                    self.unbind.add(n.output[0])
                    self.passed.update(users[o][0].output[0] for o in n.output)

    def unsqueezes(self, node, a):
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            axes = self.consts.get(node.input[1])
        return None if axes is None else [int(k) for k in np.reshape(axes, -1)]

    def squeezes(self, node, axis):
        """Squeeze `node` drops exactly axis `axis` (attribute or constant input)."""
        a = _attrs(node)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            axes = self.consts.get(node.input[1])
            axes = None if axes is None else [int(k) for k in np.reshape(axes, -1)]
        return axes == [axis]

    def make_linear(self, node, key, W, b, taken, share):
        """The nn.Linear of weight W [out, in] (the parameter itself when
        share) and bias b, named after the node's module path; one per
        `key` (the weights' names: every step of an unrolled loop calls the
        same module)."""
        if key in self.mods:
            return self.mods[key]
        m = nn.Linear(W.shape[1], W.shape[0], bias=b is not None)
        if share:
            m.weight = W
        else:
            m.weight = nn.Parameter(W.detach().clone(), requires_grad=False)
        if b is not None:
            m.bias = b
        parts = [p for p in (node.name or "").split("/") if p]
        self.add_module(ident("_".join(parts[:-1]) or "linear", taken, "linear"), m)
        self.mods[key] = m
        return m

    def rnn_module(self, node, inits, taken):
        """An nn.LSTM / nn.GRU / nn.RNN for `node`, or None when PyTorch's
        module cannot express its attributes (then the node is refused)."""
        self.current = node
        op, a = node.op_type, _attrs(node)
        why = self.rnn_refusal(node, a, inits)
        if why:
            self.mods[node.output[0] if node.output else node.name] = why
            return
        W, R = inits[node.input[1]], inits[node.input[2]]
        B = inits.get(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        D, H, I = W.shape[0], int(a.get("hidden_size", R.shape[2])), W.shape[2]
        kw = {"bias": B is not None, "bidirectional": D == 2}
        if op == "RNN":
            kw["nonlinearity"] = str((a.get("activations") or ["tanh"])[0]).lower()
        m = RNN[op](I, H, **kw)
        w = onnx_recurrent_weights(op, W, R, B, None, H)
        with torch.no_grad():
            for k, v in w.items():
                getattr(m, k).copy_(torch.from_numpy(np.asarray(v, dtype=np.float32)))
        parts = [p for p in (node.name or "").split("/") if p]
        base = "_".join(parts[:-1]) if len(parts) > 1 else (parts[0] if parts else op.lower())
        name = ident(base, taken, op.lower())
        self.add_module(name, m)
        self.mods[node.output[0] if node.output else node.name] = m

    def rnn_refusal(self, node, a, inits):
        op = node.op_type
        if a.get("direction", "forward") not in ("forward", "bidirectional"):
            return "direction %s" % a.get("direction")
        if a.get("clip") is not None or a.get("input_forget", 0):
            return "clip or input_forget"
        fns = [str(f).lower() for f in a.get("activations") or []]
        D = 2 if a.get("direction") == "bidirectional" else 1
        ok = [OP_FNS[op] * D] + ([["relu"] * D] if op == "RNN" else [])
        if fns and fns not in ok or a.get("activation_alpha") or a.get("activation_beta"):
            return "activations %s" % fns
        if op == "GRU" and not a.get("linear_before_reset", 0):
            return "linear_before_reset=0"
        if int(a.get("layout", 0)):
            return "layout 1"
        if any(not (len(node.input) > i and node.input[i] in inits) for i in (1, 2)) or (
                len(node.input) > 3 and node.input[3] and node.input[3] not in inits):
            return "W, R, B computed at run time"
        if len(node.input) > 4 and node.input[4]:
            return "sequence_lens"
        if len(node.input) > 7 and node.input[7]:
            return "peepholes (P)"
        return None

    def make_embedding(self, node, taken):
        """An nn.Embedding sharing the parameter of a Gather's weight table."""
        key = "emb:" + node.input[0]
        if key not in self.mods:
            p = self.params[node.input[0]]
            parts = [s for s in (node.name or "").split("/") if s]
            m = nn.Embedding(p.shape[0], p.shape[1])
            m.weight = p
            self.add_module(ident("_".join(parts[:-1]) or "embedding", taken, "embedding"), m)
            self.mods[key] = m

    def embedding_of(self, node, p):
        return self.mods["emb:" + node.input[0]]
