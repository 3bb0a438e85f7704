"""GraphModule: an onnx.ModelProto as a torch.nn.Module that interprets
the graph with plain PyTorch calls (the rows of torchops.py), so that
seqrt.export's recording tracer sees what a user writing the model in
PyTorch would have written: the ONNX importer's second path
(recorded.py) for graphs the direct converter cannot take, such as
torch.onnx.export's unrolled loops of hand-written cells.

Float initializers (and non-zero float Constant tensors) become
nn.Parameters under sanitized names; integer and scalar constants stay
NumPy values, and shape arithmetic runs in NumPy on the real sizes. A
Gather of a weight table by ids is an nn.Embedding sharing that
parameter. LSTM / GRU / RNN nodes whose attributes PyTorch's modules
express become nn.LSTM / nn.GRU / nn.RNN submodules (gate rows reordered
with seqrt.gates.onnx_recurrent_weights); their Y [T, D, B, H] stays
lazy (LazyY) so that torch.onnx's own epilogue (Squeeze of axis 1, or
Transpose(0, 2, 1, 3) + Reshape to [T, B, D*H]) is the module's plain
output again. A float constant of zeros meeting a tensor is
torch.zeros(...) of its size (an initial state). torchplan.py decides
the modules and fused forms once, from the graph."""

import inspect

import numpy as np
import torch
import torch.nn as nn

from .torchops import OPS, reshape_target, _constant
from .torchplan import RNN, _Plan, _attrs, ident, node_label
from .values import ConvertError


class LazyY:
    """An RNN node's Y: the module's [T, B, D*H] output `y`, seen by the
    graph as [T, D, B, H] (stage "Y") or, after Transpose(0, 2, 1, 3), as
    [T, B, D, H] (stage "Yt")."""

    def __init__(self, y, D, stage="Y"):
        self.y, self.D, self.stage = y, D, stage

    def onnx(self):
        """The tensor ONNX means (a view of y)."""
        T, B, DH = self.y.shape
        yt = self.y.view(T, B, self.D, DH // self.D)
        return yt if self.stage == "Yt" else yt.permute(0, 2, 1, 3)


class GraphModule(_Plan, nn.Module):
    """The graph as a module: forward(*graph inputs) -> its outputs (one
    tensor, or a tuple in the graph's order). `where()` names the node
    being run (the recording tracer's location of each recorded call)."""

    def __init__(self, model):
        super().__init__()
        from onnx import numpy_helper
        g = model.graph
        self.opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=1)
        self.nodes = list(g.node)
        self.attrs = [_attrs(n) for n in self.nodes]
        self.outputs = [o.name for o in g.output]
        self.consts, self.params, self.mods = {}, {}, {}
        taken = set(dir(GraphModule))
        inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        stored = set(inits)     # weights, even all-zero ones (a Constant node of zeros is torch.zeros)
        for n, a in zip(self.nodes, self.attrs):
            if n.op_type == "Constant":
                inits[n.output[0]] = _constant(a)
        alias = {n.output[0]: n.input[0] for n in self.nodes if n.op_type == "Identity" and n.input[0] in inits}
        rnn_weights = set()
        for n in self.nodes:
            if n.op_type in RNN:
                rnn_weights.update(i for i in n.input[1:4] if i in inits)
        for name, v in inits.items():
            weight = v.ndim >= 1 and (name in stored or (v.size > 1 and np.any(v != 0)))
            if v.dtype.kind == "f" and weight and name not in rnn_weights:
                p = nn.Parameter(torch.from_numpy(np.array(v, dtype=np.float32)), requires_grad=False)
                self.register_parameter(ident(name, taken, "w"), p)
                self.params[name] = p
            else:
                self.consts[name] = np.asarray(v)
        for out, src in alias.items():      # torch.onnx's Identity copies of a folded weight: the same one
            (self.params if src in self.params else self.consts)[out] = (self.params.get(src) if src in
                                                                        self.params else self.consts[src])
            inits[out] = inits[src]
        self.plan(g, taken)
        self.inputs = [i.name for i in g.input if i.name not in inits]
        self.arg_names = [ident(n, taken, "input") for n in self.inputs]
        self.current = None
        for n in self.nodes:
            if n.op_type in RNN:
                self.rnn_module(n, inits, taken)
            elif n.op_type == "Gather" and n.input[0] in self.params and not _attrs(n).get("axis", 0):
                self.make_embedding(n, taken)
        # forward()'s argument names are the graph inputs' (the recorded model's input names)
        params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + [
            inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in self.arg_names]
        cls = type("OnnxGraph", (GraphModule,), {"forward": _make_forward(inspect.Signature(params))})
        self.__class__ = cls

    # ---- helpers for torchops
    def fail(self, msg):
        raise ConvertError("%s: %s" % (node_label(self.current), msg))

    def where(self):
        return "ONNX %s" % node_label(self.current) if self.current is not None else "the ONNX graph"

    def is_param(self, v):
        return isinstance(v, nn.Parameter)

    def t(self, v):
        """v as a tensor: a float constant of zeros is torch.zeros(size)."""
        if isinstance(v, LazyY):
            return v.onnx()
        if torch.is_tensor(v):
            return v
        if isinstance(v, np.ndarray):
            if v.dtype.kind == "f" and not np.any(v):
                # one torch.zeros per constant and run (an initial state read by several steps)
                z = self.zeros.get(id(v))
                if z is None or z[0] is not v:
                    z = self.zeros[id(v)] = (v, torch.zeros(*v.shape))
                return z[1]
            return torch.from_numpy(np.array(v))
        self.fail("input %r is missing" % (v,))

    def num(self, v):
        """A scalar constant as a Python number, else None."""
        if isinstance(v, np.ndarray) and v.size == 1:
            return float(v.reshape(-1)[0]) if v.dtype.kind == "f" else int(v.reshape(-1)[0])
        return None

    # ---- running
    def run(self, *args):
        if len(args) != len(self.inputs):
            raise ConvertError("the graph takes %d inputs (%s), given %d"
                               % (len(self.inputs), ", ".join(self.inputs), len(args)))
        self.zeros, self.ran_linear = {}, set()
        env = dict(self.consts)
        env.update(self.params)
        env.update(zip(self.inputs, args))
        for k in self.premade:
            env[k] = self.t(env[k])
        for node, a in zip(self.nodes, self.attrs):
            self.current = node
            if node.op_type == "Constant":
                continue
            if node.domain not in ("", "ai.onnx"):
                self.fail("op %s.%s has no PyTorch equivalent here" % (node.domain, node.op_type))
            x = [env[i] if i else None for i in node.input]
            outs = self.run_node(node, a, x)
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            for name, v in zip(node.output, outs):
                if name in self.premade_at:
                    v = self.t(v)
                if name:
                    env[name] = v
        self.current = None
        res = [env[o] for o in self.outputs]
        res = [v.onnx() if isinstance(v, LazyY) else v for v in res]
        return res[0] if len(res) == 1 else tuple(res)

    def run_node(self, node, a, x):
        op = node.op_type
        if op in RNN:
            return self.run_rnn(node, x)
        lazy = self.lazy_step(op, a, x)
        if lazy is not None:
            return lazy
        out = node.output[0] if node.output else ""
        if out in self.passed:          # the Squeeze of a piece of x.unbind
            return x[0]
        if out in self.fused and self.fused[out] in self.ran_linear:   # the bias of an nn.Linear
            return x[list(node.input).index(self.fused[out])]
        if out in self.stacks:
            return torch.stack([self.t(v) for v in x], dim=self.stacks[out])
        row = OPS.get(op)
        if row is None:
            self.fail("op %s has no PyTorch equivalent here" % op)
        if row.const is not None and all(v is None or isinstance(v, np.ndarray) for v in x):
            try:
                r = row.const(a, x)
                return [np.asarray(v) for v in r] if isinstance(r, list) else np.asarray(r)
            except (ValueError, IndexError, KeyError, TypeError) as e:
                self.fail("cannot evaluate on constants: %s" % e)
        if row.tensor is None:
            self.fail("%s of computed tensors has no PyTorch equivalent here" % op)
        return row.tensor(self, node, a, x)

    def lazy_step(self, op, a, x):
        """torch.onnx's epilogue of an RNN's Y: back to the module's output."""
        if not x or not isinstance(x[0], LazyY):
            return None
        y = x[0]
        if op == "Squeeze" and y.stage == "Y" and y.D == 1:
            axes = a.get("axes") or ([int(k) for k in np.reshape(x[1], -1)] if len(x) > 1 and x[1] is not None
                                     else None)
            if axes is not None and [k % 4 for k in axes] == [1]:
                return y.y
        if op == "Transpose" and y.stage == "Y" and list(a.get("perm", [])) == [0, 2, 1, 3]:
            return LazyY(y.y, y.D, "Yt")
        if op == "Reshape" and isinstance(x[1], np.ndarray) and (y.stage == "Yt" or y.D == 1):
            T, B, DH = y.y.shape
            tgt = reshape_target((T, B, y.D, DH // y.D), x[1])
            if len(tgt) == 3 and tgt[:2] in ([T, B], [T, -1], [-1, B]) and tgt[2] in (-1, DH):
                return y.y
        return None

    def run_rnn(self, node, x):
        m = self.mods.get(node.output[0] if node.output else node.name)
        if not isinstance(m, nn.Module):
            self.fail("%s: PyTorch's nn.%s cannot express it" % (m, node.op_type))
        xs = self.t(x[0])
        states = [x[i] if len(x) > i else None for i in ((5, 6) if node.op_type == "LSTM" else (5,))]
        given = [s is not None and not (isinstance(s, np.ndarray) and not np.any(s)) for s in states]
        if not any(given):
            y, h = m(xs)
        else:
            st = tuple(self.t(s) if s is not None else torch.zeros(
                (2 if m.bidirectional else 1), xs.shape[1], m.hidden_size) for s in states)
            y, h = m(xs, st if node.op_type == "LSTM" else st[0])
        D = 2 if m.bidirectional else 1
        hs = list(h) if node.op_type == "LSTM" else [h]
        return [LazyY(y, D)] + hs


def _make_forward(sig):
    def forward(self, *args):
        return self.run(*args)
    forward.__signature__ = sig
    return forward
